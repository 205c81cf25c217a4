"""Live-inbox sockets (socket.io and the plain variant) are counted in ``clarion_websocket_connections``:
up while open, down once closed, and a refused handshake never counts."""

from __future__ import annotations

import asyncio
import contextlib
import re

import httpx
import socketio
import websockets

from tests.inbox.conftest import Clarion

GAUGE = re.compile(r'^clarion_websocket_connections\{kind="inbox"\} ([0-9.e+-]+)$', re.M)


async def _gauge(http: httpx.AsyncClient) -> float:
    found = GAUGE.search((await http.get("/metrics")).text)
    return float(found.group(1)) if found else 0.0


async def _until(http: httpx.AsyncClient, expected: float) -> None:
    for _ in range(200):
        if await _gauge(http) == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the inbox socket gauge stayed at {await _gauge(http)}, not {expected}")


async def test_inbox_sockets_are_counted_while_open(clarion: Clarion) -> None:
    headers = {"Authorization": f"ApiKey {clarion.key}"}
    async with httpx.AsyncClient(base_url=clarion.url) as http:
        env = (await http.put(f"/v1/environments/{clarion.environment_id}", json={"inboxHmac": False},
                              headers=headers)).json()["data"]  # fmt: skip
        body = {"applicationIdentifier": env["applicationIdentifier"], "subscriberId": "counted"}
        token = (await http.post("/v1/inbox/session", json=body)).json()["data"]["token"]
        before = await _gauge(http)

        refused = socketio.AsyncClient(reconnection=False)
        with contextlib.suppress(socketio.exceptions.ConnectionError):
            await refused.connect(f"{clarion.url}?token=sst_bogus", transports=["websocket"], wait_timeout=10)
        assert await _gauge(http) == before

        client = socketio.AsyncClient(reconnection=False)
        await client.connect(f"{clarion.url}?token={token}", transports=["websocket"], wait_timeout=10)
        await _until(http, before + 1)
        ws_url = clarion.url.replace("http", "ws") + f"/v1/inbox/socket?token={token}"
        async with websockets.connect(ws_url) as plain:
            await plain.send("ping")
            assert await asyncio.wait_for(plain.recv(), 10) == "pong"
            await _until(http, before + 2)
        await _until(http, before + 1)
        await client.disconnect()
        await _until(http, before)
