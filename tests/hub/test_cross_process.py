"""Live in-app events across processes: a worker process stores, an API process's sockets receive.

Checklist 30 with both the PostgreSQL and the Redis bus, and the issue's done-when: a subscriber
token's socket gets its own in-app message and unseen count; another subscriber's never does.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from clarion.seed import WELCOME_STEPS
from store import session_tokens, subscribers
from store import workflows as workflow_store
from store.engine import create_engine, make_sessions
from store.migrate import upgrade
from tests.factories import two_environments
from tests.hub.conftest import connect, receive, receive_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(120)]


@asynccontextmanager
async def pg_schema(url: str) -> AsyncIterator[str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()


@asynccontextmanager
async def process(role: str, env: dict[str, str]) -> AsyncIterator[str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.hub._process", role, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout and proc.stderr
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        if not line:
            raise AssertionError(f"{role} exited: {(await proc.stderr.read()).decode()[-3000:]}")
        yield line.decode().strip()
    finally:
        if proc.returncode is None:
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            proc.kill()
            await proc.wait()


@pytest.mark.parametrize("bus", ["postgres", "redis"])
async def test_a_workers_in_app_message_reaches_the_subscribers_socket_on_another_process(
    bus: str, request: pytest.FixtureRequest, temporal_env: WorkflowEnvironment
):
    url = request.config.getoption("--postgres-url")
    async with pg_schema(url) as schema:
        engine = create_engine(url, schema=schema, pool_size=2)
        try:
            await upgrade(engine)
            sessions = make_sessions(engine)
            t = await two_environments(sessions)
            env = t.env_a.id
            async with sessions() as session, session.begin():
                await workflow_store.upsert(session=session, environment_id=env, identifier="live",
                                            values={"name": "Live", "steps": WELCOME_STEPS[:1]})
                await subscribers.upsert_many(session=session, environment_id=env, profiles={"ada": {}, "bob": {}})
                ada = (await session_tokens.mint(session=session, environment_id=env, subscriber_id="ada")).raw
                bob = (await session_tokens.mint(session=session, environment_id=env, subscriber_id="bob")).raw
            config = {"HUB_DB_URL": url, "HUB_SCHEMA": schema, "HUB_BUS": bus,
                      "HUB_TEMPORAL": temporal_env.client.service_client.config.target_host,
                      "HUB_TASK_QUEUE": f"tq-{uuid.uuid4().hex}"}
            async with process("worker", config), process("api", config) as port:
                await _check(port, t.key_a, ada, bob)
        finally:
            await engine.dispose()


async def _check(port: str, key: str, ada: str, bob: str) -> None:
    ws_url = f"ws://127.0.0.1:{port}/api/v1/ws/subscribe?access_token="
    runs_url = ws_url.replace("access_token=", "event_types=workflow.*")
    async with (
        connect(ws_url + ada) as ada_ws, connect(ws_url + bob) as bob_ws,
        connect(runs_url, additional_headers={"X-Api-Key": key}) as runs_ws,
    ):
        await receive(ada_ws), await receive(bob_ws), await receive(runs_ws)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            started = time.monotonic()
            answer = await client.post("/v1/events/trigger", headers={"Authorization": f"ApiKey {key}"},
                                       json={"name": "live", "to": "ada", "payload": {"appName": "Hub"}})
            assert answer.status_code == 201, answer.text
        item = await receive_until(ada_ws, lambda f: f["event_type"] == "inbox.notification.received", 30)
        latency = time.monotonic() - started
        assert item["body"]["to"]["subscriberId"] == "ada" and "Hub" in item["body"]["body"]
        count = await receive_until(ada_ws, lambda f: f["event_type"] == "inbox.unseen_count.changed", 5)
        assert count["body"] == {"subscriberId": "ada", "unseenCount": 1}
        # Bob's socket is on the same node, which queued everything it routed before this pong.
        await bob_ws.send(json.dumps({"event_type": "health", "message": "ping", "id": "last"}))
        frames: list[dict[str, Any]] = [await receive(bob_ws)]
        assert [(f["event_type"], f.get("ref_id")) for f in frames] == [("health", "last")]
        print(f"trigger → socket: {latency * 1000:.0f} ms")  # noqa: T201 - shown with -s
        run = await receive_until(runs_ws, lambda f: f["event_type"] == "workflow.run.completed", 30)
        assert run["body"]["workflowIdentifier"] == "live" and run["body"]["recipients"] == 1
        # Reading it through the inbox API pushes the read and the new counts.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            read = await client.patch(f"/v2/subscribers/ada/notifications/{item['body']['id']}/read",
                                      headers={"Authorization": f"ApiKey {key}"})
            assert read.status_code == 200, read.text
        marked = await receive_until(ada_ws, lambda f: f["event_type"] == "message.read", 10)
        assert marked["body"]["messageId"] == item["body"]["id"]
        count = await receive_until(ada_ws, lambda f: f["event_type"] == "inbox.unseen_count.changed", 10)
        assert count["body"]["unseenCount"] == 0
