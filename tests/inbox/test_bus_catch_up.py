"""A live socket still gets what was published while the real-time bus had lost its subscription.

The worker here publishes nowhere (as one does while Redis is down), and the API's Redis subscription
is killed by Redis itself (``CLIENT KILL``): once the subscription is back, the socket gets the
message it missed and fresh counts, each message once.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.novu.inbox.live import RECEIVED
from clarion.seed import WELCOME_STEPS
from clarion.worker import open_worker
from core.settings import Settings
from store import workflows as workflow_store
from store.engine import Sessions, create_engine, make_sessions
from store.migrate import upgrade
from store.realtime import MemoryBus, NullBus, RealtimeEvent
from store.realtime.redis import RedisBus
from tests.factories import Tenancy, two_environments
from tests.foundation.test_redis_bus import kill_clients
from tests.inbox.conftest import serve_ws
from tests.pipeline.conftest import Mailbox, pipeline_settings

REDIS_URL = "redis://127.0.0.1:6379/0"
pytestmark = pytest.mark.timeout(120)


async def live_store(tmp_path: Path, smtp_port: int) -> tuple[AsyncEngine, Sessions, Settings, Tenancy]:
    """A fresh SQLite store with two environments and the in-app workflow ``live``, and settings for it."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'clarion.db'}")
    await upgrade(engine)
    sessions = make_sessions(engine)
    tenancy = await two_environments(sessions)
    async with sessions() as session, session.begin():
        await workflow_store.upsert(session=session, environment_id=tenancy.env_a.id, identifier="live",
                                    values={"name": "Live", "steps": WELCOME_STEPS[:1]})  # the in-app step
    return engine, sessions, pipeline_settings(smtp_port, f"tq-{uuid.uuid4().hex}"), tenancy


async def frames_until(ws: Any, wanted: set[str], timeout: float) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while not wanted <= {f["event"] for f in got}:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            break
        try:
            got.append(json.loads(await asyncio.wait_for(ws.recv(), left)))
        except TimeoutError:
            break
    return got


async def test_a_socket_catches_up_after_the_bus_lost_its_subscription(
    tmp_path: Path, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int]
) -> None:
    engine, sessions, settings, tenancy = await live_store(tmp_path, smtp[1])
    name = f"clarion-test-{uuid.uuid4().hex[:8]}"
    bus = RedisBus(REDIS_URL, client_name=name)
    app = create_app(settings, sessions=sessions, temporal=temporal_env.client, bus=bus)
    headers = {"Authorization": f"ApiKey {tenancy.key_a}"}
    await bus.start()
    try:
        async with (
            app.router.lifespan_context(app),
            open_worker(settings, client=temporal_env.client, sessions=sessions, bus=NullBus()),
            serve_ws(app) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as http,
        ):
            env = (await http.put(f"/v1/environments/{tenancy.env_a.id}", json={"inboxHmac": False},
                                  headers=headers)).json()["data"]  # fmt: skip
            session_body = {"applicationIdentifier": env["applicationIdentifier"], "subscriberId": "ada"}
            token = (await http.post("/v1/inbox/session", json=session_body)).json()["data"]["token"]
            async with websockets.connect(f"{url.replace('http', 'ws')}/v1/inbox/socket?token={token}") as ws:
                trigger = {"name": "live", "to": "ada", "payload": {"appName": "Missed"}, "transactionId": "tx-missed"}
                assert (await http.post("/v1/events/trigger", json=trigger, headers=headers)).status_code == 201
                for _ in range(300):  # stored, and announced to nobody
                    feed = (await http.get("/v1/inbox/notifications", params={"limit": 10},
                                           headers={"Authorization": f"Bearer {token}"})).json()  # fmt: skip
                    if feed.get("data"):
                        break
                    await asyncio.sleep(0.1)
                assert len(feed["data"]) == 1, feed
                assert await frames_until(ws, {"notification_received"}, 1) == []

                assert await kill_clients(name, "pubsub") == 1
                frames = await frames_until(ws, {"notification_received", "unseen_count_changed",
                                                 "unread_count_changed"}, 30)  # fmt: skip
                received = [f["data"]["message"] for f in frames if f["event"] == "notification_received"]
                assert [m["_id"] for m in received] == [feed["data"][0]["id"]]
                assert "Missed" in received[0]["content"]
                unread = next(f["data"] for f in frames if f["event"] == "unread_count_changed")
                assert unread["counts"]["total"] == 1

                assert await kill_clients(name, "pubsub") == 1  # a second loss announces nothing twice
                again = await frames_until(ws, {"unread_count_changed"}, 30)
                assert [f["event"] for f in again if f["event"] == "notification_received"] == []
                assert any(f["event"] == "unread_count_changed" for f in again)
    finally:
        await bus.close()
        await engine.dispose()


class DiesBeforeFirstPublish(MemoryBus):
    """The worker's bus: the first attempt's publish dies the way a cancelled or killed activity does,
    after the messages were committed."""

    def __init__(self) -> None:
        super().__init__()
        self.died = False

    async def _send(self, event: RealtimeEvent) -> None:
        if event.type == RECEIVED and not self.died:
            self.died = True
            raise asyncio.CancelledError  # not an Exception: publish() lets it through, the attempt ends here
        await super()._send(event)


async def test_a_retried_step_announces_what_its_dead_attempt_committed(
    tmp_path: Path, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int]
) -> None:
    engine, sessions, settings, tenancy = await live_store(tmp_path, smtp[1])
    bus = DiesBeforeFirstPublish()
    heard: list[RealtimeEvent] = []

    async def listen(event: RealtimeEvent) -> None:
        heard.append(event)

    bus.subscribe(listen)
    app = create_app(settings, sessions=sessions, temporal=temporal_env.client, bus=bus)
    try:
        async with (
            app.router.lifespan_context(app),
            open_worker(settings, client=temporal_env.client, sessions=sessions, bus=bus),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
        ):
            trigger = {"name": "live", "to": "ada", "payload": {"appName": "Retried"}}
            response = await http.post("/v1/events/trigger", json=trigger,
                                       headers={"Authorization": f"ApiKey {tenancy.key_a}"})  # fmt: skip
            assert response.status_code == 201, response.text
            for _ in range(300):
                if any(e.type == RECEIVED for e in heard):
                    break
                await asyncio.sleep(0.1)
        assert bus.died
        assert [e.sub for e in heard if e.type == RECEIVED] == ["ada"]
    finally:
        await engine.dispose()
