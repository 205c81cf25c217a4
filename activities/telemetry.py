"""Metrics (and, with tracing on, spans) for what the activities do, kept out of their logic."""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind

from core import log_context, metrics

tracer = trace.get_tracer("clarion.activities")

logger = logging.getLogger("clarion.deliveries")


def delivery_attempt(
    channel: str, provider: str, verdict: str, values: dict[str, Any] | None, ms: int, subscriber_id: str
) -> None:
    """Count one provider call by the dispatch ledger's verdict: ``next`` is a failover, ``done``
    without final columns a retry, otherwise the message's final status says sent or failed."""
    if verdict == "next":
        outcome = "failover"
    elif values is None:
        outcome = "retry"
    else:
        outcome = "sent" if values.get("status") == "sent" else "failed"
    metrics.provider_attempt(channel, provider, outcome, ms / 1000)
    # One line per delivery: DEBUG when sent (a fan-out to thousands must not flood the logs), WARNING otherwise.
    logger.log(logging.DEBUG if outcome == "sent" else logging.WARNING, "%s delivery via %s: %s in %d ms",
               channel, provider, outcome, ms, extra={log_context.SUBSCRIBER_ID: subscriber_id})


def provider_span(channel: str, provider: str) -> Any:
    """The span of one provider call (SMTP, HTTP...); its httpx or database spans nest in it."""
    return tracer.start_as_current_span(
        f"send {provider}", kind=SpanKind.CLIENT, attributes={"clarion.channel": channel, "clarion.provider": provider}
    )


def current_trace_id() -> str | None:
    """The trace id in force (the activity's span), stored with execution details; None when tracing is off."""
    span: Span = trace.get_current_span()
    context = span.get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
