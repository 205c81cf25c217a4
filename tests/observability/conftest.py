"""The pipeline's fixtures (real Temporal, real SMTP, API and worker in-process) and a metrics reader."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

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
