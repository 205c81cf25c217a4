"""A worker's metrics endpoints: Clarion's own registry, and the Temporal SDK runtime's."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import start_http_server
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from core import metrics
from core.observability_settings import ObservabilitySettings

logger = logging.getLogger(__name__)


@dataclass
class MetricsServer:
    server: WSGIServer

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve_metrics(host: str, port: int) -> MetricsServer:
    """Serve this process's Prometheus registry on ``host:port`` (port 0 picks a free one)."""
    server, _thread = start_http_server(port, addr=host, registry=metrics.registry())
    logger.info("metrics on http://%s:%d/metrics", host, server.server_port)
    return MetricsServer(server)


def temporal_runtime(host: str, port: int) -> Runtime:
    """A Temporal runtime whose SDK metrics (schedule-to-start latency, the queue lag; poll, task and
    activity counters) are served for Prometheus on ``host:port``."""
    return Runtime(telemetry=TelemetryConfig(
        metrics=PrometheusConfig(bind_address=f"{host}:{port}", durations_as_seconds=True)
    ))


def install_worker_metrics(settings: ObservabilitySettings, *, serve: bool = True) -> MetricsServer | None:
    """Start a worker process's endpoints (``serve=False``: only the SDK's, for a worker inside the API
    process); call before its Temporal client connects, since clients take the default runtime."""
    # A port already taken (a second worker on the same host) costs that worker its endpoints, never
    # the worker itself: deliveries matter more than their metrics, and the error says how to fix it.
    if settings.temporal_metrics_port:
        try:
            Runtime.set_default(temporal_runtime(settings.metrics_host, settings.temporal_metrics_port),
                                error_if_already_set=False)
        except Exception:
            logger.exception("Temporal SDK metrics not served on port %d (set CLARION_OBSERVABILITY__"
                             "TEMPORAL_METRICS_PORT per worker, or 0)", settings.temporal_metrics_port)
    if serve and settings.worker_metrics_port:
        try:
            return serve_metrics(settings.metrics_host, settings.worker_metrics_port)
        except OSError:
            logger.exception("worker metrics not served on port %d (set CLARION_OBSERVABILITY__"
                             "WORKER_METRICS_PORT per worker, or 0)", settings.worker_metrics_port)
    return None
