"""An oversized WebSocket handshake URL gets 414 URI Too Long at once, on every WebSocket endpoint and with
either of uvicorn's WebSocket implementations (api/ws_guard.py); a normal one still upgrades."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.ws_guard import MAX_HANDSHAKE_URL_BYTES
from core.settings import Settings
from store.engine import make_sessions
from store.realtime import MemoryBus
from tests.factories import two_environments
from tests.hub.conftest import FAST_HUB

ENDPOINTS = ["/api/v1/ws/subscribe", "/v1/inbox/socket", "/socket.io/?EIO=4&transport=websocket"]


@pytest.fixture(params=["websockets-sansio", "wsproto"])
async def port(request: pytest.FixtureRequest, engine: AsyncEngine) -> AsyncIterator[int]:
    sessions = make_sessions(engine)
    await two_environments(sessions)
    app = create_app(Settings(mode="dev", hub=FAST_HUB), sessions=sessions, temporal=object(),  # type: ignore[arg-type]
                     bus=MemoryBus())
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", ws=request.param))
    async with app.router.lifespan_context(app):
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started and not serving.done():
                await asyncio.sleep(0.01)
            yield sock.getsockname()[1]
        finally:
            server.should_exit = True
            await serving
            sock.close()


async def handshake(port: int, target: str) -> bytes:
    """The server's first answer to a WebSocket upgrade request for ``target``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    await writer.drain()
    try:
        # No timing assert: the wait only bounds a hang, which would itself be the failure.
        return await asyncio.wait_for(reader.read(1024), 10)
    finally:
        writer.close()


def padded(endpoint: str, length: int) -> str:
    joiner = "&" if "?" in endpoint else "?"
    head = f"{endpoint}{joiner}pad="
    return head + "a" * (length - len(head))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_an_oversized_handshake_url_gets_414_before_the_upgrade(port: int, endpoint: str) -> None:
    answer = await handshake(port, padded(endpoint, MAX_HANDSHAKE_URL_BYTES + 1))
    assert answer.startswith(b"HTTP/1.1 414 "), answer[:200]
    assert b"URI Too Long" in answer


async def test_a_handshake_url_at_the_limit_reaches_the_endpoint(port: int) -> None:
    # The hub itself answers (its own 401 for the missing credential): it is not refused as too long.
    answer = await handshake(port, padded(ENDPOINTS[0], MAX_HANDSHAKE_URL_BYTES))
    assert answer.startswith(b"HTTP/1.1 401 ") and b"API Key not found" in answer, answer[:200]
