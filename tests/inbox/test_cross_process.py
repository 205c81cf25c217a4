"""The Inbox's socket.io events cross processes: a worker process stores, an API process's sockets receive."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
import socketio
from temporalio.testing import WorkflowEnvironment

from clarion.seed import WELCOME_STEPS
from store import session_tokens, subscribers
from store import workflows as workflow_store
from store.engine import create_engine, make_sessions
from store.migrate import upgrade
from tests.factories import two_environments
from tests.hub.test_cross_process import pg_schema, process

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(120)]


async def test_a_workers_notification_reaches_socket_io_on_another_process(
    request: pytest.FixtureRequest, temporal_env: WorkflowEnvironment
):
    url = request.config.getoption("--postgres-url")
    async with pg_schema(url) as schema:
        engine = create_engine(url, schema=schema, pool_size=2)
        try:
            await upgrade(engine)
            sessions = make_sessions(engine)
            t = await two_environments(sessions)
            async with sessions() as session, session.begin():
                await workflow_store.upsert(session=session, environment_id=t.env_a.id, identifier="live",
                                            values={"name": "Live", "steps": WELCOME_STEPS[:1]})
                await subscribers.upsert_many(session=session, environment_id=t.env_a.id,
                                              profiles={"ada": {}, "bob": {}})
                ada = (await session_tokens.mint(session=session, environment_id=t.env_a.id, subscriber_id="ada")).raw
                bob = (await session_tokens.mint(session=session, environment_id=t.env_a.id, subscriber_id="bob")).raw
            config = {"HUB_DB_URL": url, "HUB_SCHEMA": schema, "HUB_BUS": "postgres",
                      "HUB_TEMPORAL": temporal_env.client.service_client.config.target_host,
                      "HUB_TASK_QUEUE": f"tq-{uuid.uuid4().hex}"}
            async with process("worker", config), process("api", config) as port:
                base = f"http://127.0.0.1:{port}"
                got: dict[str, list[tuple[str, dict]]] = {"ada": [], "bob": []}
                clients = []
                for name, token in (("ada", ada), ("bob", bob)):
                    sio = socketio.AsyncClient(reconnection=False)
                    for event in ("notification_received", "unseen_count_changed", "unread_count_changed"):
                        sio.on(event, lambda data, n=name, e=event: got[n].append((e, data)))
                    await sio.connect(f"{base}?token={token}", transports=["websocket"])
                    clients.append(sio)
                async with httpx.AsyncClient(base_url=base) as http:
                    answer = await http.post("/v1/events/trigger", headers={"Authorization": f"ApiKey {t.key_a}"},
                                             json={"name": "live", "to": "ada", "payload": {"appName": "Hub"}})
                    assert answer.status_code == 201, answer.text
                for _ in range(300):
                    if {e for e, _ in got["ada"]} == {"notification_received", "unseen_count_changed",
                                                      "unread_count_changed"}:
                        break
                    await asyncio.sleep(0.1)
                received = next(d for e, d in got["ada"] if e == "notification_received")["message"]
                assert received["subscriber"]["subscriberId"] == "ada" and "Hub" in received["content"]
                assert next(d for e, d in got["ada"] if e == "unread_count_changed")["counts"]["total"] == 1
                await asyncio.sleep(0.5)  # anything routed to Bob would have arrived by now
                assert got["bob"] == []
                for sio in clients:
                    await sio.disconnect()
        finally:
            await engine.dispose()
