"""Deterministic Temporal workflow classes; every I/O happens in ``activities``."""
