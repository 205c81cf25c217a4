"""A real uvicorn server (with WebSocket support) over a migrated store, for the hub's tests."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from core.settings import HubSettings, Settings
from store import session_tokens, subscribers, tenancy
from store.engine import Sessions, make_sessions
from store.realtime import MemoryBus
from tests.factories import Tenancy, two_environments

FAST_HUB = HubSettings(credential_check_seconds=0.2, registry_refresh_seconds=0.5, write_timeout_seconds=5)


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn (sans-I/O websockets) on this loop; yield its base URL (no scheme)."""
    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", log_level="warning", ws="websockets-sansio")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving
        sock.close()


@dataclass
class HubServer:
    host: str
    app: FastAPI
    sessions: Sessions
    tenancy: Tenancy
    bus: MemoryBus

    @property
    def http(self) -> str:
        return f"http://{self.host}"

    def ws_url(self, query: str = "") -> str:
        return f"ws://{self.host}/api/v1/ws/subscribe{query}"

    async def key(self, *scopes: str, env: str = "a") -> str:
        async with self.sessions() as session, session.begin():
            target = self.tenancy.env_a if env == "a" else self.tenancy.env_b
            return (await tenancy.create_key(session=session, name=f"k-{'-'.join(scopes)}", environment=target,
                                             scopes=list(scopes))).raw

    async def subscriber_token(self, subscriber_id: str, ttl: int = 3600) -> str:
        env = self.tenancy.env_a.id
        async with self.sessions() as session, session.begin():
            await subscribers.upsert_many(session=session, environment_id=env, profiles={subscriber_id: {}})
            return (await session_tokens.mint(session=session, environment_id=env, subscriber_id=subscriber_id,
                                              ttl_seconds=ttl)).raw

    async def get(self, path: str, credential: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.http) as client:
            return await client.get(path, headers={"Authorization": f"Bearer {credential}"})

    async def post(self, path: str, credential: str, body: Any) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.http) as client:
            return await client.post(path, headers={"Authorization": f"Bearer {credential}"}, json=body)


@pytest.fixture
async def hub(engine: AsyncEngine) -> AsyncIterator[HubServer]:
    sessions = make_sessions(engine)
    t = await two_environments(sessions)
    bus = MemoryBus()
    app = create_app(Settings(mode="dev", hub=FAST_HUB), sessions=sessions, temporal=object(),  # type: ignore[arg-type]
                     bus=bus)
    async with app.router.lifespan_context(app), serve(app) as host:
        yield HubServer(host, app, sessions, t, bus)


async def receive(ws: Any, timeout: float = 5.0) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return frame


async def receive_until(ws: Any, predicate: Any, timeout: float = 5.0) -> dict[str, Any]:
    """The first frame matching ``predicate``, skipping others."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await receive(ws, timeout)
            if predicate(frame):
                return frame


def connect(url: str, **kwargs: Any) -> Any:
    return websockets.connect(url, open_timeout=5, close_timeout=2, **kwargs)
