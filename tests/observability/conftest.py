"""The pipeline's fixtures (real Temporal, real SMTP, API and worker in-process) and a metrics reader."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from clarion.observability.tracing import setup_tracing
from core.observability_settings import ObservabilitySettings
from tests.pipeline.conftest import smtp  # noqa: F401  (a fixture)


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """A Prometheus text page as {(sample name, labels): value}."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text) for s in family.samples
    }


def value(page: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return page.get((name, frozenset(labels.items())), 0.0)


async def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 200, response.text
    return samples(response.text)


class Recorder(InMemorySpanExporter):
    """Keeps spans only while a test records, so the rest of the session does not pile them up."""

    recording = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return super().export(spans) if self.recording else SpanExportResult.SUCCESS


@pytest.fixture(scope="session")
def tracing_on() -> Recorder:
    """Tracing on for the rest of the session, as the composition root sets it up (OpenTelemetry
    allows one global tracer provider per process)."""
    exporter = Recorder()
    assert setup_tracing(ObservabilitySettings(), component="test", exporter=exporter) is not None
    return exporter


@pytest.fixture
def spans(tracing_on: Recorder) -> Iterator[Recorder]:
    tracing_on.clear()
    tracing_on.recording = True
    try:
        yield tracing_on
    finally:
        tracing_on.recording = False
        tracing_on.clear()
