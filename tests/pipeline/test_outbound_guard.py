"""The webhook step refuses private and loopback targets in production mode: the listener sees no
connection and the run records a permanent, explained failure. In dev mode the same step delivers."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from store.engine import make_sessions
from store.models import ExecutionDetail
from tests.pipeline.conftest import Mailbox, Pipeline, open_pipeline, pipeline_settings
from tests.pipeline.factories import add_workflow

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
ADA = {"subscriberId": "ada", "email": "ada@example.test"}


@dataclass
class Listener:
    """A bare TCP listener that counts connections and answers each with 200."""

    port: int = 0
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.requests.append(await reader.read(65536))
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    seen = Listener()
    server = await asyncio.start_server(seen.handle, "127.0.0.1", 0)
    seen.port = server.sockets[0].getsockname()[1]
    async with server:
        yield seen


async def _pipeline(
    engine: AsyncEngine, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int], *, mode: str
) -> AsyncIterator[Pipeline]:
    mailbox, port = smtp
    base = pipeline_settings(port, f"tq-{uuid.uuid4().hex}")
    settings = Settings(**{**base.model_dump(), "mode": mode, "secret_key": "a-production-secret"})
    async with open_pipeline(make_sessions(engine), temporal_env.client, mailbox, settings) as p:
        yield p


@pytest.fixture
async def production(
    engine: AsyncEngine, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int]
) -> AsyncIterator[Pipeline]:
    async for p in _pipeline(engine, temporal_env, smtp, mode="production"):
        yield p


@pytest.fixture
async def dev(
    engine: AsyncEngine, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int]
) -> AsyncIterator[Pipeline]:
    async for p in _pipeline(engine, temporal_env, smtp, mode="dev"):
        yield p


async def _send_hook(pipeline: Pipeline, url: str, tx: str) -> tuple[int, int, list[ExecutionDetail]]:
    response = await pipeline.client.post(
        "/v1/integrations", headers=pipeline.headers,
        json={"providerId": "webhook", "credentials": {"secret": SECRET}},
    )
    assert response.status_code == 201, response.text
    steps = [{"id": "hook", "type": "webhook", "active": True,
              "controls": {"url": url, "eventType": "probe", "body": '{"x": 1}'}}]
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, f"hook-{tx}", steps=steps)
    answer = await pipeline.trigger({"name": f"hook-{tx}", "to": ADA, "transactionId": tx})
    assert answer.status_code == 201, answer.text
    result = await pipeline.finish(tx)
    async with pipeline.sessions() as session:
        found = await session.scalars(
            select(ExecutionDetail).filter_by(channel="webhook").order_by(ExecutionDetail.created_at)
        )
        return result.sent, result.failed, list(found)


@pytest.mark.parametrize("target", ["loopback", "metadata"])
async def test_production_refuses_private_targets(production: Pipeline, listener: Listener, target: str) -> None:
    url = f"http://127.0.0.1:{listener.port}/hook" if target == "loopback" else "http://169.254.169.254/latest/"
    sent, failed, details = await _send_hook(production, url, f"tx-{target}")
    assert (sent, failed) == (0, 1)
    assert listener.connections == 0
    failures = [d for d in details if d.status == "failed"]
    assert failures, [d.detail for d in details]
    reason = "a loopback address" if target == "loopback" else "169.254.169.254"
    assert reason in failures[-1].detail and "production mode" in failures[-1].detail
    # Permanent: refused once, never retried.
    assert [d.status for d in details if d.status in ("warning", "failed")] == ["failed"]


async def test_dev_mode_reaches_the_local_listener(dev: Pipeline, listener: Listener) -> None:
    sent, failed, _ = await _send_hook(dev, f"http://127.0.0.1:{listener.port}/hook", "tx-dev")
    assert (sent, failed) == (1, 0)
    assert listener.connections == 1 and b"POST /hook" in listener.requests[0]
