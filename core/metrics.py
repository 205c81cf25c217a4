"""Clarion's Prometheus metrics: one definition each, recorded where the event happens.

The metrics live in prometheus-client's process registry, which is how the library is meant to be
used; recording is a dictionary lookup and an atomic add, so it stays on even when nobody scrapes.
With ``PROMETHEUS_MULTIPROC_DIR`` set before the process starts (several API worker processes),
prometheus-client keeps each value in a per-process file and ``/metrics`` sums them.

Every label value comes from a closed set (route templates, channels, provider ids, outcomes) or
from what an operator configures (workflow identifiers); never a subscriber, transaction or path.
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.multiprocess import MultiProcessCollector

# Latencies from a few milliseconds (in-app) to the minute a slow provider may take.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

HTTP_REQUESTS = Counter(
    "clarion_http_requests", "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "clarion_http_request_duration_seconds", "Time to answer an HTTP request, by route template and method.",
    ["route", "method"], buckets=LATENCY_BUCKETS,
)
TRIGGERS = Counter(
    "clarion_triggers", "Trigger events handed to Temporal, by workflow identifier and status "
    "(processed, duplicate: a transactionId seen before, unavailable: Temporal refused).",
    ["workflow", "status"],
)
DELIVERIES = Counter(
    "clarion_deliveries", "Deliveries that reached a final outcome, by channel, provider and outcome (sent, failed).",
    ["channel", "provider", "outcome"],
)
PROVIDER_ATTEMPTS = Counter(
    "clarion_provider_attempts", "Calls to a provider, by channel, provider and outcome "
    "(sent, retry: failed temporarily and will be retried, failover: the next integration takes over, failed).",
    ["channel", "provider", "outcome"],
)
PROVIDER_LATENCY = Histogram(
    "clarion_provider_attempt_duration_seconds", "Time one provider call took, by channel and provider.",
    ["channel", "provider"], buckets=LATENCY_BUCKETS,
)
RETRIES = Counter(
    "clarion_delivery_retries", "Deliveries that failed temporarily and are retried, by channel and provider.",
    ["channel", "provider"],
)
FAILOVERS = Counter(
    "clarion_delivery_failovers", "Deliveries moved to the channel's next integration, by channel and the "
    "provider that failed.", ["channel", "provider"],
)
WEBHOOK_ATTEMPTS = Counter(
    "clarion_webhook_attempts", "Signed webhook delivery attempts, by outcome (succeeded, failed, gone, missing).",
    ["outcome"],
)
ACTION_OUTCOMES = Counter(
    "clarion_action_step_recipients", "Recipients through a digest or throttle step, by step type and outcome "
    "(passed: continued the run, merged: joined a digest, throttled: left the run).",
    ["step", "outcome"],
)
# livesum: with several API processes the gauge is the sum of the live processes' values.
WEBSOCKETS = Gauge(
    "clarion_websocket_connections", "Open WebSocket connections of the events hub and live inbox, by credential "
    "kind.", ["kind"], multiprocess_mode="livesum",
)


def provider_attempt(channel: str, provider: str, outcome: str, seconds: float) -> None:
    """One provider call and what became of it; final outcomes also count as deliveries."""
    PROVIDER_ATTEMPTS.labels(channel, provider, outcome).inc()
    PROVIDER_LATENCY.labels(channel, provider).observe(seconds)
    if outcome == "retry":
        RETRIES.labels(channel, provider).inc()
    elif outcome == "failover":
        FAILOVERS.labels(channel, provider).inc()
    else:
        DELIVERIES.labels(channel, provider, outcome).inc()


def action_outcome(step: str, **counts: int) -> None:
    """Recipients of one digest or throttle activity, by outcome."""
    for outcome, count in counts.items():
        if count:
            ACTION_OUTCOMES.labels(step, outcome).inc(count)


def registry() -> CollectorRegistry:
    """What a scrape of this process shows: its own registry, or with ``PROMETHEUS_MULTIPROC_DIR``
    the sum over every process writing to that folder (several API worker processes)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    combined = CollectorRegistry()
    MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
    return combined
