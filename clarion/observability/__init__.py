"""Observability set up in the composition root: metrics endpoints, traces, structured logs.

What the rooms record (counters in ``core.metrics``, log context in ``core.log_context``) needs no
set-up; this package only decides where it goes.
"""
