"""A real Temporal dev server per test session, a real SMTP server, and the API + worker in-process."""

from __future__ import annotations

import asyncio
import email
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from clarion.seed import WELCOME_STEPS
from clarion.worker import open_worker
from core.payloads import RunResult
from core.settings import Settings, SmtpSettings, TemporalSettings, WorkerSettings
from store import transaction_claims
from store import workflows as workflow_store
from store.engine import Sessions, make_sessions
from store.models import Message as StoredMessage
from tests.factories import Tenancy, two_environments


@dataclass
class Mailbox:
    """What a real SMTP server received; ``hold`` delays the reply to DATA (a slow server)."""

    messages: list[Message] = field(default_factory=list)
    # The envelope recipients of each message (Bcc shows only here).
    envelopes: list[list[str]] = field(default_factory=list)
    hold_seconds: float = 0.0
    # SMTP replies to give the next DATA commands instead of accepting them.
    replies: list[str] = field(default_factory=list)
    # When each accepted message's terminating "." arrived (time.monotonic()).
    arrivals: list[float] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        if self.replies:
            return self.replies.pop(0)
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        self.messages.append(email.message_from_bytes(raw))
        self.arrivals.append(time.monotonic())
        self.envelopes.append(list(envelope.rcpt_tos))
        waited = 0.0
        while waited < self.hold_seconds:  # re-read each time: a test may release the hold early
            await asyncio.sleep(0.05)
            waited += 0.05
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture
def smtp() -> AsyncIterator[tuple[Mailbox, int]] | Any:
    box = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        box.hold_seconds = 0
        controller.stop()


@dataclass
class Pipeline:
    client: httpx.AsyncClient
    app: FastAPI
    temporal: Client
    sessions: Sessions
    tenancy: Tenancy
    settings: Settings
    mailbox: Mailbox

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"ApiKey {self.tenancy.key_a}"}

    async def trigger(self, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
        return await self.client.post("/v1/events/trigger", json=body, headers=self.headers, **kwargs)

    async def finish(self, transaction_id: str, environment_id: uuid.UUID | None = None) -> RunResult:
        env = environment_id or self.tenancy.env_a.id
        handle = self.temporal.get_workflow_handle(f"trigger:{env}:{transaction_id}", result_type=RunResult)
        for _ in range(1800):  # a bulk trigger's batched run claims its events a moment after answering
            try:
                return await handle.result()
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise
            async with self.sessions() as session:  # the batched run that claimed it (whole run's result)
                owner = await transaction_claims.owner_of(session=session, environment_id=env,
                                                          transaction_id=transaction_id)
            if owner is not None:  # the batched run that claimed it: its own part of that run's result
                whole = await self.temporal.get_workflow_handle(owner, result_type=RunResult).result()
                return whole.transactions.get(transaction_id, whole)
            await asyncio.sleep(0.1)
        raise AssertionError(f"no trigger workflow for {transaction_id}")

    async def messages(self, **where: Any) -> list[StoredMessage]:
        async with self.sessions() as session:
            query = select(StoredMessage).filter_by(**where).order_by(StoredMessage.created_at)
            return list(await session.scalars(query))


def pipeline_settings(port: int, task_queue: str) -> Settings:
    return Settings(
        mode="dev",
        temporal=TemporalSettings(task_queue=task_queue),
        smtp=SmtpSettings(host="127.0.0.1", port=port, security="none", from_address="clarion@example.test"),
        worker=WorkerSettings(recipients_per_batch=50, send_heartbeat_seconds=2, send_max_attempts=3),
    )


@asynccontextmanager
async def open_pipeline(
    sessions: Sessions, temporal: Client, mailbox: Mailbox, settings: Settings, *, worker: bool = True
) -> AsyncIterator[Pipeline]:
    """The API (and, unless told otherwise, a worker) in this process, over a seeded database."""
    tenancy = await two_environments(sessions)
    async with sessions() as session, session.begin():
        for env in (tenancy.env_a, tenancy.env_b):
            await workflow_store.upsert(session=session, environment_id=env.id, identifier="welcome",
                                        values={"name": "Welcome", "steps": WELCOME_STEPS})
    app = create_app(settings, sessions=sessions, temporal=temporal)
    async with AsyncExitStack() as stack:
        if worker:
            await stack.enter_async_context(open_worker(settings, client=temporal, sessions=sessions))
        await stack.enter_async_context(app.router.lifespan_context(app))
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        )
        yield Pipeline(client, app, temporal, sessions, tenancy, settings, mailbox)


@pytest.fixture
async def pipeline(
    engine: AsyncEngine, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int]
) -> AsyncIterator[Pipeline]:
    """API and worker in this process on a fresh task queue, over a fresh database."""
    mailbox, port = smtp
    settings = pipeline_settings(port, f"tq-{uuid.uuid4().hex}")
    async with open_pipeline(make_sessions(engine), temporal_env.client, mailbox, settings) as p:
        yield p
