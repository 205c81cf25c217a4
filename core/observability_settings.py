"""Settings of metrics, traces and logs (``CLARION_OBSERVABILITY__*``), one group of the settings tree."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class ObservabilitySettings(BaseModel):
    """How Clarion shows its health: Prometheus ports, OTLP traces, log format."""

    # Each worker process serves its own metrics here; 0 = off. Several workers on one host need
    # their own ports (CLARION_OBSERVABILITY__WORKER_METRICS_PORT per process).
    worker_metrics_port: int = Field(default=9464, ge=0, le=65535)
    # The Temporal SDK's runtime metrics (schedule-to-start latency = queue lag) of a worker; 0 = off.
    temporal_metrics_port: int = Field(default=9465, ge=0, le=65535)
    metrics_host: str = "127.0.0.1"
    # The API's /metrics shows workflow identifiers of every environment: set a token (Prometheus'
    # bearer_token) unless the route is reachable only from inside the deployment.
    metrics_token: SecretStr = SecretStr("")
    # OTLP/HTTP traces endpoint (e.g. http://jaeger:4318/v1/traces); empty = tracing off, at no cost.
    otlp_endpoint: str = ""
    service_name: str = "clarion"
    trace_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    # auto: text in dev mode, JSON lines otherwise.
    log_format: Literal["auto", "json", "text"] = "auto"
