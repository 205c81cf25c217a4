"""The pipeline's fixtures (real Temporal, real SMTP, API and worker in-process) and a metrics reader."""

from __future__ import annotations

import httpx
import pytest
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


@pytest.fixture(scope="session")
def spans() -> InMemorySpanExporter:
    """Tracing on for the rest of the session, as the composition root sets it up, into memory
    (OpenTelemetry allows one global tracer provider per process)."""
    exporter = InMemorySpanExporter()
    provider = setup_tracing(ObservabilitySettings(), component="test", exporter=exporter)
    assert provider is not None
    return exporter
