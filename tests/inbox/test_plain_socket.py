"""Novu's plain-WebSocket ("cloud") variant of the live socket: ``{event, data}`` frames, ``ping``/``pong``."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from tests.inbox.conftest import Clarion


async def test_plain_socket_gets_the_same_events(clarion: Clarion):
    headers = {"Authorization": f"ApiKey {clarion.key}"}
    async with httpx.AsyncClient(base_url=clarion.url) as http:
        env = (await http.put(f"/v1/environments/{clarion.environment_id}", json={"inboxHmac": False},
                              headers=headers)).json()["data"]  # fmt: skip
        body = {"applicationIdentifier": env["applicationIdentifier"], "subscriberId": "ada"}
        token = (await http.post("/v1/inbox/session", json=body)).json()["data"]["token"]
        ws_url = clarion.url.replace("http", "ws") + "/v1/inbox/socket"
        with pytest.raises(websockets.ConnectionClosed) as refused:
            async with websockets.connect(f"{ws_url}?token=sst_bogus") as bogus:
                await bogus.recv()
        assert refused.value.rcvd is not None and refused.value.rcvd.code == 4401
        async with websockets.connect(f"{ws_url}?token={token}") as ws:
            await ws.send("ping")
            assert await asyncio.wait_for(ws.recv(), 10) == "pong"
            trigger = {"name": "inbox-actions", "to": {"subscriberId": "ada"}, "payload": {"orderId": 7}}
            assert (await http.post("/v1/events/trigger", json=trigger, headers=headers)).status_code == 201
            frames: dict[str, dict] = {}
            while len(frames) < 3:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
                frames[frame["event"]] = frame["data"]
    message = frames["notification_received"]["message"]
    assert message["content"] == "Order 7 is ready" and message["subscriber"]["subscriberId"] == "ada"
    assert [b["content"] for b in message["cta"]["action"]["buttons"]] == ["Open", "Later"]
    assert frames["unseen_count_changed"]["unseenCount"] == 1
    assert frames["unread_count_changed"]["counts"]["total"] == 1
