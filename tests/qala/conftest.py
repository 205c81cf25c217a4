"""Clarion served by uvicorn (API + worker over a fresh database, Temporal dev server) and a real webhook receiver."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from clarion.worker import open_worker
from core.settings import Settings, WebhookSettings
from store.engine import make_sessions
from store.realtime import MemoryBus, RealtimeEvent
from tests.factories import two_environments
from tests.pipeline.conftest import Mailbox, Pipeline, pipeline_settings, smtp
from tests.sdk import serve

__all__ = ["Qala", "Receiver", "qala", "receiver", "smtp"]
FAST_WAITS = [0.3] * 9


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    at: float = 0.0  # monotonic arrival time

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook endpoint: answers each request per ``plan`` (path -> statuses; the last one repeats)."""

    url: str = ""
    requests: list[Request] = field(default_factory=list)
    plan: dict[str, list[int]] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    # When set, statuses by how often this webhook-id was seen before (whatever the path).
    per_webhook_id: list[int] | None = None

    def at(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope["path"]
        statuses = self.plan.get(path, [200])
        served = len(self.at(path))
        status = statuses[min(served, len(statuses) - 1)]
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if self.per_webhook_id:
            seen = sum(1 for r in self.requests if r.headers.get("webhook-id") == headers.get("webhook-id"))
            status = self.per_webhook_id[min(seen, len(self.per_webhook_id) - 1)]
        self.requests.append(Request(path, headers, body, status, time.monotonic()))
        extra = [(k.encode(), v.encode()) for k, v in self.headers.get(path, {}).items()]
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain"), *extra]})
        await send({"type": "http.response.body", "body": f"answer {status}".encode()})


@asynccontextmanager
async def serve_receiver(receiver: Receiver) -> AsyncIterator[Receiver]:
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(receiver, lifespan="off", log_level="warning", ws="none"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    receiver.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with serve_receiver(Receiver()) as r:
        yield r


@dataclass
class Qala:
    """An HTTP client for Clarion over uvicorn, the pipeline behind it, and the bus's events."""

    http: httpx.AsyncClient
    pipeline: Pipeline
    events: list[RealtimeEvent]

    @property
    def key(self) -> str:
        return self.pipeline.tenancy.key_a

    @property
    def env(self) -> uuid.UUID:
        return self.pipeline.tenancy.env_a.id

    def auth(self, key: str | None = None, **extra: str) -> dict[str, str]:
        return {"x-auth-token": key or self.key, **extra}

    async def call(self, method: str, path: str, body: Any = None, key: str | None = None,
                   **headers: str) -> httpx.Response:
        content = json.dumps(body).encode() if body is not None else None
        return await self.http.request(method, path, content=content, headers=self.auth(key, **headers))

    async def ok(self, method: str, path: str, body: Any = None, status: int = 200, key: str | None = None) -> Any:
        response = await self.call(method, path, body, key)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    async def event_type(self, kind: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": kind}
        if schema is not None:
            body["schema"] = schema
        return dict(await self.ok("POST", "/management/v1/events/types", body, 201))

    async def topic(self, name: str, types: list[str]) -> dict[str, Any]:
        return dict(await self.ok("POST", "/management/v1/topics", {"name": name, "eventTypeIds": types}, 201))

    async def subscribe(self, topic: str, path: str, receiver: Receiver, **fields: Any) -> dict[str, Any]:
        body = {"name": path.strip("/"), "webhookUrl": receiver.url + path, **fields}
        return dict(await self.ok("POST", f"/management/v1/topics/{topic}/subscriptions", body, 201))

    async def publish(self, events: Any, topic: str | None = None, status: int = 200) -> Any:
        path = f"/v1/topics/{topic}/events/publish" if topic else "/v1/events/publish"
        return await self.ok("POST", path, events, status)

    async def deliveries(self, topic: str, sub: dict[str, Any], status: str | None = None) -> list[dict[str, Any]]:
        query = f"?status={status}" if status else ""
        page = await self.ok("GET", f"/management/v1/topics/{topic}/subscriptions/{sub['id']}/deliveries{query}")
        return list(page["items"])


async def until(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        # 5 polls a second stay under the default rate limit of the dialect routes (600/min per key).
        await asyncio.sleep(0.2)


def qala_settings(port: int, waits: list[float]) -> Settings:
    settings = pipeline_settings(port, f"tq-{uuid.uuid4().hex}")
    return settings.model_copy(update={"webhooks": WebhookSettings(base_waits=waits)})


@asynccontextmanager
async def open_qala(engine: AsyncEngine, temporal: WorkflowEnvironment, smtp: tuple[Mailbox, int],
                    waits: list[float] = FAST_WAITS, worker: bool = True) -> AsyncIterator[Qala]:
    mailbox, port = smtp
    bus = MemoryBus()
    events: list[RealtimeEvent] = []

    async def record(event: RealtimeEvent) -> None:
        events.append(event)

    bus.subscribe(record)
    settings = qala_settings(port, waits)
    sessions = make_sessions(engine)
    tenancy = await two_environments(sessions)
    app = create_app(settings, sessions=sessions, temporal=temporal.client, bus=bus)
    async with AsyncExitStack() as stack:
        if worker:
            await stack.enter_async_context(open_worker(settings, client=temporal.client, sessions=sessions, bus=bus))
        await stack.enter_async_context(app.router.lifespan_context(app))
        local = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        )
        url = await stack.enter_async_context(serve(app))
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=30))
        yield Qala(http, Pipeline(local, app, temporal.client, sessions, tenancy, settings, mailbox), events)


@pytest.fixture
async def qala(engine: AsyncEngine, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int]
               ) -> AsyncIterator[Qala]:
    async with open_qala(engine, temporal_env, smtp) as q:
        yield q
