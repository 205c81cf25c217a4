"""Metrics (and, with tracing on, spans) for what the activities do, kept out of their logic."""

from __future__ import annotations

from typing import Any

from core import metrics


def delivery_attempt(channel: str, provider: str, verdict: str, values: dict[str, Any] | None, ms: int) -> None:
    """Count one provider call by the dispatch ledger's verdict: ``next`` is a failover, ``done``
    without final columns a retry, otherwise the message's final status says sent or failed."""
    if verdict == "next":
        outcome = "failover"
    elif values is None:
        outcome = "retry"
    else:
        outcome = "sent" if values.get("status") == "sent" else "failed"
    metrics.provider_attempt(channel, provider, outcome, ms / 1000)
