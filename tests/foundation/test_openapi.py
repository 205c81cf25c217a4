"""The OpenAPI document behind /docs: it builds cleanly and documents every dialect."""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

import httpx
import pytest

from api.app import create_app
from core.settings import Settings

# A few main routes of each dialect and of the native API, with the methods they must document.
DOCUMENTED = {
    "/v1/events/trigger": {"post"},
    "/v1/layouts": {"get", "post"},
    "/v2/layouts": {"get", "post"},
    "/v2/layouts/{layoutId}": {"get", "put", "delete"},
    "/v2/translations": {"post"},
    "/v1/environments": {"get"},
    "/v2/subscribers/{subscriberId}/subscriptions": {"get"},
    "/v1/events/publish": {"post"},
    "/v1/topics/{topic_name}/events/publish": {"post"},
    "/management/v1/api-keys": {"get", "post"},
    "/management/v1/topics/{topic}/subscriptions": {"get", "post"},
    "/api/event_streams/topics": {"get", "post"},
    "/api/event_streams/topics/{topic_id}": {"get", "put", "patch", "delete"},
    "/api/event_streams/topics/{topic_id}/purge": {"put", "post"},
    "/api/v1/topics/{topic_id}/publish": {"post"},
    "/api/v1/batch/topics/{topic_id}/publish": {"post"},
    "/api/v1/topics/{topic_id}/consume": {"post"},
    "/api/v1/ws/clients": {"get"},
    "/api/v1/ws/unsubscribe": {"post"},
    "/api/v1/ws/stats": {"get"},
    "/api/o/{org}/p/{prj}/a/{app}/e": {"get"},
    "/api/o/{org}/p/{prj}/a/{app}/e/{evt}/trigger": {"post"},
    "/api/system/ping": {"get"},
}
METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a duplicate operation id is only a warning otherwise
        document: dict[str, Any] = create_app(Settings(mode="dev")).openapi()
    return document


def test_operation_ids_are_unique(schema: dict[str, Any]) -> None:
    ids = Counter(
        operation["operationId"]
        for item in schema["paths"].values()
        for method, operation in item.items()
        if method in METHODS
    )
    assert ids and [i for i, n in ids.items() if n > 1] == []


def test_every_dialect_documents_its_main_routes(schema: dict[str, Any]) -> None:
    paths = schema["paths"]
    missing = {p: sorted(m - set(paths.get(p, {}))) for p, m in DOCUMENTED.items() if m - set(paths.get(p, {}))}
    assert missing == {}
    # Trailing-slash and /api/pubsub aliases answer, but are not documented twice.
    assert not [p for p in paths if p != "/" and p.endswith("/")]
    assert not [p for p in paths if p.startswith("/api/pubsub/")]


async def test_docs_and_the_document_are_served() -> None:
    app = create_app(Settings(mode="dev"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        docs = await client.get("/docs")
        document = await client.get("/openapi.json")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert document.status_code == 200 and "/api/v1/topics/{topic_id}/consume" in document.json()["paths"]
