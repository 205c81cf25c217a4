"""The Parallels WebSocket hub against a real uvicorn server (event-apis.md §3, checklist 27-29, 31-33)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import websockets
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.exceptions import ConnectionClosed, InvalidStatus

from api.app import create_app
from core.settings import Settings
from store import session_tokens
from store.engine import make_sessions
from store.realtime import MemoryBus
from tests.factories import two_environments
from tests.hub.conftest import FAST_HUB, HubServer, connect, receive, receive_until, serve

pytestmark = pytest.mark.timeout(60)


async def test_a_socket_without_credential_is_refused_before_the_upgrade(hub: HubServer):
    with pytest.raises(InvalidStatus) as refused:
        async with connect(hub.ws_url()):
            pass
    response = refused.value.response
    assert response.status_code == 401
    body = json.loads(response.body)
    assert body["code"] == 401 and body["message"] and isinstance(body["stack"], list)
    async with httpx.AsyncClient() as client:
        plain = await client.get(f"{hub.http}/api/v1/ws/subscribe", headers={"Authorization": "Bearer x"})
    assert plain.status_code == 400 and plain.json()["message"] == "expected a WebSocket upgrade request"


async def test_welcome_lists_subscriptions_and_ignored_types_and_pings_are_answered(hub: HubServer):
    key = await hub.key("ws:subscribe")
    async with connect(hub.ws_url("?event_types=Message.*,,bad%20type&event_types=notification.created"),
                       additional_headers={"X-Api-Key": key}) as ws:
        welcome = await receive(ws)
        assert welcome["event_type"] == "global" and welcome["client_id"] == welcome["body"]["client_id"]
        assert welcome["body"]["subscriptions"] == ["message.*", "notification.created", "global"]
        assert welcome["body"]["ignored"] == ["bad type"] and welcome["body"]["subscriber_id"] is None
        await ws.send(json.dumps({"event_type": "health", "message": "ping", "id": "x"}))
        pong = await receive(ws)
        assert (pong["event_type"], pong["message"], pong["ref_id"]) == ("health", "pong", "x")
        assert pong["client_id"] == welcome["client_id"]
        await ws.send(json.dumps({"event_type": "system", "message": "client-id", "id": "y"}))
        assert (await receive(ws))["body"] == {"client-id": welcome["client_id"]}
        await ws.send("not json")
        error = await receive(ws)
        assert error["event_type"] == "global" and error["message"] == "error"


async def test_events_reach_matching_sockets_of_their_environment_only(hub: HubServer):
    key = await hub.key("ws:subscribe")
    async with connect(hub.ws_url("?event_types=message.*"), additional_headers={"X-Api-Key": key}) as ws:
        await receive(ws)
        await hub.bus.publish(hub.tenancy.env_b.id, "message.sent", {"n": 0}, message="MESSAGE_SENT")
        env = hub.tenancy.env_a.id
        await hub.bus.publish(env, "workflow.run.completed", {"n": 1}, message="WORKFLOW_RUN_COMPLETED")
        for _ in range(2):  # the same id twice: the hub fans it out once
            await hub.bus.publish(env, "message.sent", {"n": 2}, message="MESSAGE_SENT", event_id="e1")
        await hub.bus.publish(env, "message.failed", {"n": 3}, message="MESSAGE_FAILED")
        first, second = await receive(ws), await receive(ws)
        assert (first["event_type"], first["body"], first["id"]) == ("message.sent", {"n": 2}, "e1")
        assert (second["event_type"], second["message"], second["body"]) == ("message.failed", "MESSAGE_FAILED",
                                                                              {"n": 3})


async def test_a_client_that_does_not_read_loses_the_oldest_events_and_is_told(hub: HubServer):
    key = await hub.key("ws:subscribe")
    # A small receive window (it also turns the kernel's autotuning off) and no compression: the
    # sockets' buffers hold a few hundred of these frames, the rest must wait in the hub's queue.
    host, port = hub.host.rsplit(":", 1)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    async with connect(hub.ws_url("?event_types=stream.*"), additional_headers={"X-Api-Key": key}, sock=sock,
                       compression=None) as ws:
        welcome = await receive(ws)
        env = hub.tenancy.env_a.id
        for n in range(3000):  # 3000 frames of 32 kB: 96 MB, far more than the buffers and the queue hold
            body = {"n": n, "pad": secrets.token_hex(16384)}
            await hub.bus.publish(env, "stream.message.published", body, message="STREAM_MESSAGE_PUBLISHED")
        listing = (await hub.get("/api/v1/ws/clients", key)).json()
        mine = next(c for c in listing if c["id"] == welcome["client_id"])
        assert mine["dropped"] > 0 and mine["queue_depth"] <= 2048
        notice = await receive_until(ws, lambda f: f["message"] == "MESSAGES_DROPPED")
        assert notice["body"]["dropped"] > 0 and notice["body"]["total_dropped"] >= notice["body"]["dropped"]
        following = await receive(ws)
        assert following["body"]["n"] >= 3000 - 2048  # the oldest were the ones dropped


async def test_unsubscribe_checks_ownership_and_keeps_global(hub: HubServer):
    mine, other = await hub.key("ws:subscribe"), await hub.key("ws:subscribe", "ws:admin")
    async with connect(hub.ws_url("?event_types=message.sent,message.failed"),
                       additional_headers={"X-Api-Key": mine}) as ws:
        client_id = (await receive(ws))["client_id"]
        body = {"client_id": client_id, "event_types": ["message.sent"]}
        foreign = await hub.post("/api/v1/ws/unsubscribe", other, body)
        assert foreign.status_code == 403 and foreign.json()["code"] == 403
        done = await hub.post("/api/v1/ws/unsubscribe", mine, body)
        assert done.status_code == 200, done.text
        assert done.json()["subscriptions"] == ["message.failed", "global"]
        with_global = await hub.post("/api/v1/ws/unsubscribe", mine, {"client_id": client_id,
                                                                       "event_types": "global,message.failed"})
        assert with_global.status_code == 200
        assert with_global.json()["message"].startswith("cannot unsubscribe from global event type")
        unknown = await hub.post("/api/v1/ws/unsubscribe", mine, {"client_id": "nope", "event_types": ["a"]})
        assert unknown.status_code == 400 and unknown.json()["message"] == "client nope does not exist"
        env = hub.tenancy.env_a.id
        await hub.bus.publish(env, "message.sent", {"n": 1}, message="MESSAGE_SENT")
        await hub.bus.publish(env, "message.failed", {"n": 2}, message="MESSAGE_FAILED")
        await ws.send(json.dumps({"event_type": "health", "message": "ping", "id": "end"}))
        # Only the pong arrives: both types were unsubscribed.
        assert (await receive(ws))["ref_id"] == "end"
        stats = (await hub.get("/api/v1/ws/stats", other)).json()
        assert stats["total_clients"] == 1 and stats["type_stats"] == {"global": 1}
        assert (await hub.get("/api/v1/ws/stats", mine)).status_code == 403


async def test_a_subscriber_socket_gets_only_its_own_in_app_events(hub: HubServer):
    token = await hub.subscriber_token("ada")
    async with connect(hub.ws_url(f"?event_types=workflow.run.completed,inbox.*,message.*&access_token={token}")) as ws:
        welcome = await receive(ws)
        assert welcome["body"]["ignored"] == ["workflow.run.completed"]
        assert welcome["body"]["subscriber_id"] == "ada"
        env = hub.tenancy.env_a.id
        item = {"id": "m"}
        await hub.bus.publish(env, "inbox.notification.received", {"for": "bob"}, message="NOTIFICATION_RECEIVED",
                              subscriber_id="bob", channel="in_app")
        await hub.bus.publish(env, "message.sent", {"for": "ada-email"}, message="MESSAGE_SENT", subscriber_id="ada",
                              channel="email")
        await hub.bus.publish(env, "workflow.run.completed", {}, message="WORKFLOW_RUN_COMPLETED", subscriber_id="ada")
        await hub.bus.publish(env, "inbox.notification.received", item, message="NOTIFICATION_RECEIVED",
                              subscriber_id="ada", channel="in_app")
        got = await receive(ws)
        assert (got["event_type"], got["body"]) == ("inbox.notification.received", item)
        own = (await hub.get("/api/v1/ws/clients", token)).json()
        assert [c["user_id"] for c in own] == ["subscriber:ada"]


async def test_revoking_a_token_closes_its_socket_with_4001(hub: HubServer):
    token = await hub.subscriber_token("ada")
    async with connect(hub.ws_url(f"?access_token={token}")) as ws:
        await receive(ws)
        async with hub.sessions() as session, session.begin():
            assert await session_tokens.revoke(session=session, raw=token, environment_id=hub.tenancy.env_a.id)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001


async def test_scopes_and_the_connection_limit_are_checked_at_the_handshake(hub: HubServer):
    narrow = await hub.key("topic:consume")
    with pytest.raises(InvalidStatus) as refused:
        async with connect(hub.ws_url(), additional_headers={"X-Api-Key": narrow}):
            pass
    assert refused.value.response.status_code == 403
    hub.app.state.services.hub.settings = hub.app.state.services.hub.settings.model_copy(
        update={"max_connections_per_credential": 1})
    key = await hub.key("ws:subscribe")
    async with connect(hub.ws_url(), additional_headers={"X-Api-Key": key}) as ws:
        await receive(ws)
        with pytest.raises(InvalidStatus) as limited:
            async with websockets.connect(hub.ws_url(), additional_headers={"X-Api-Key": key}):
                pass
        assert limited.value.response.status_code == 409
        assert json.loads(limited.value.response.body)["message"] == "too many connections for this credential"


async def test_a_frame_of_deep_json_closes_the_socket_with_a_reason(hub: HubServer):
    key = await hub.key("ws:subscribe")
    async with connect(hub.ws_url(), additional_headers={"X-Api-Key": key}) as ws:
        await receive(ws)  # welcome
        await ws.send("[" * 5000 + "]" * 5000)
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1007
    assert "nested deeper" in closed.value.rcvd.reason


@pytest.fixture
async def quick_hub(engine: AsyncEngine) -> AsyncIterator[HubServer]:
    """The hub with a one-second write timeout."""
    sessions = make_sessions(engine)
    t = await two_environments(sessions)
    bus = MemoryBus()
    settings = Settings(mode="dev", hub=FAST_HUB.model_copy(update={"write_timeout_seconds": 1.0}))
    app = create_app(settings, sessions=sessions, temporal=object(), bus=bus)  # type: ignore[arg-type]
    async with app.router.lifespan_context(app), serve(app) as host:
        yield HubServer(host, app, sessions, t, bus)


@pytest.mark.timeout(150)
async def test_a_socket_whose_client_stopped_reading_is_closed_after_the_write_timeout(quick_hub: HubServer):
    hub = quick_hub
    key = await hub.key("ws:subscribe")
    headers = {"X-Api-Key": key}
    # No compression and a one-message client queue: the client stops reading its socket, the kernel
    # buffers fill, and the server's send waits for a drain that never comes.
    async with connect(hub.ws_url("?event_types=stream.*"), additional_headers=headers, compression=None,
                       max_queue=1) as stalled, connect(hub.ws_url("?event_types=stream.*"),
                                                        additional_headers=headers) as healthy:
        stalled_id = (await receive(stalled))["client_id"]
        await receive(healthy)
        # The healthy client reads all along, as a real one does; otherwise its own buffers fill too.
        reading = asyncio.create_task(receive_until(healthy, lambda f: f.get("body", {}).get("n") == 399, timeout=60))
        env = hub.tenancy.env_a.id
        for n in range(400):  # 24 MB: more than loopback's socket buffers hold
            await hub.bus.publish(env, "stream.message.published", {"n": n, "pad": os.urandom(30_000).hex()},
                                  message="STREAM_MESSAGE_PUBLISHED")
        async with asyncio.timeout(15):  # under uvicorn's 20 s ping interval, which would close it too
            while any(c["id"] == stalled_id for c in (await hub.get("/api/v1/ws/clients", key)).json()):
                await asyncio.sleep(0.2)
        # The other socket was never held up: it read everything and still gets the next event.
        last = await reading
        assert last["body"]["n"] == 399
        await hub.bus.publish(env, "stream.message.published", {"n": "after"}, message="STREAM_MESSAGE_PUBLISHED")
        assert (await receive(healthy))["body"]["n"] == "after"
