"""A real uvicorn server over a migrated database, with scoped keys for the Workato dialect."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from core.settings import Settings
from store import tenancy
from store.engine import Sessions, make_sessions
from tests.factories import Tenancy, two_environments
from tests.sdk import serve

SCHEMA = [
    {"control_type": "text", "label": "Order ID", "name": "OrderId", "optional": False, "type": "string"},
    {"name": "Quantity", "type": "integer"},
    {"name": "Items", "type": "array", "of": "object", "properties": [{"name": "Sku", "type": "string",
                                                                         "optional": False}]},
]


@dataclass
class StreamsApi:
    """Clarion served by uvicorn; ``client`` is bound to its URL with environment A's ``*`` key."""

    client: httpx.AsyncClient
    app: FastAPI
    sessions: Sessions
    tenancy: Tenancy
    url: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tenancy.key_a}"}

    async def key(self, *scopes: str, env: str = "a") -> dict[str, str]:
        """Headers with a new key of environment A (or B) holding ``scopes``."""
        environment = self.tenancy.env_a if env == "a" else self.tenancy.env_b
        async with self.sessions() as session, session.begin():
            issued = await tenancy.create_key(session=session, name="scoped", environment=environment,
                                              scopes=list(scopes))
        return {"Authorization": f"Bearer {issued.raw}"}

    async def topic(self, name: str = "Orders", schema: Sequence[Any] = SCHEMA, **extra: Any) -> int:
        response = await self.client.post("/api/event_streams/topics", json={"name": name, "schema": schema, **extra},
                                          headers=self.headers)
        assert response.status_code == 200, response.text
        return int(response.json()["data"]["id"])

    async def publish(self, topic_id: int, message: dict[str, Any]) -> httpx.Response:
        return await self.client.post(f"/api/v1/topics/{topic_id}/publish", json=message, headers=self.headers)

    async def consume(self, topic_id: int, **body: Any) -> httpx.Response:
        return await self.client.post(f"/api/v1/topics/{topic_id}/consume", json=body, headers=self.headers)


@asynccontextmanager
async def serve_streams(sessions: Sessions, t: Tenancy, settings: Settings | None = None, temporal: Any = None
                        ) -> AsyncIterator[StreamsApi]:
    app = create_app(settings or Settings(mode="dev"), sessions=sessions, temporal=temporal or object())
    async with app.router.lifespan_context(app), serve(app) as url, httpx.AsyncClient(base_url=url, timeout=60) as c:
        yield StreamsApi(client=c, app=app, sessions=sessions, tenancy=t, url=url)


@pytest.fixture
async def streams_api(engine: AsyncEngine) -> AsyncIterator[StreamsApi]:
    sessions = make_sessions(engine)
    async with serve_streams(sessions, await two_environments(sessions)) as api:
        yield api
