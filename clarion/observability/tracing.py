"""OpenTelemetry traces: one trace per trigger, from the HTTP request through Temporal's workflow and
activities to the provider call and the database, exported over OTLP/HTTP.

Off unless ``CLARION_OBSERVABILITY__OTLP_ENDPOINT`` is set: nothing is instrumented then, the
OpenTelemetry API hands out non-recording spans, and the Temporal client carries no interceptor.
"""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from core.observability_settings import ObservabilitySettings

# Probes and scrapes would be most of the traces and say nothing.
UNTRACED_URLS = "health,ready,metrics"


def setup_tracing(
    settings: ObservabilitySettings, *, component: str, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """Install the process's tracer provider and instrument httpx and the database engines made after it.

    ``exporter`` (tests: an in-memory one) replaces the OTLP exporter and is flushed per span.
    """
    if exporter is None and not settings.otlp_endpoint:
        return None
    resource = Resource.create({SERVICE_NAME: settings.service_name, "clarion.component": component})
    provider = TracerProvider(resource=resource, sampler=ParentBased(TraceIdRatioBased(settings.trace_sample_ratio)))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    # Engines created from now on (store.engine.create_engine) trace their statements. The
    # instrumentation declares SQLAlchemy < 2.1 although the engine events it uses are unchanged in 2.1.
    SQLAlchemyInstrumentor().instrument(tracer_provider=provider, skip_dep_check=True)
    return provider


def instrument_app(app: FastAPI) -> None:
    # One span per request: the per-message receive/send spans ASGI would add say nothing here.
    FastAPIInstrumentor.instrument_app(app, tracer_provider=trace.get_tracer_provider(), excluded_urls=UNTRACED_URLS,
                                       exclude_spans=["receive", "send"])
