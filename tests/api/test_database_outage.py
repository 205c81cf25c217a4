"""A database that cannot be reached is an outage: 503 with Retry-After in the dialect's format."""

from __future__ import annotations

import socket

import httpx
import pytest
import websockets

from api.app import create_app
from api.outages import is_database_outage
from core.settings import Settings
from store.engine import create_engine, make_sessions
from tests.inbox.conftest import serve_ws


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/v1/subscribers", "application/json"), ("/management/v1/topics", "application/problem+json")],
)
async def test_an_unreachable_database_is_a_503_with_retry_after(path: str, content_type: str) -> None:
    engine = create_engine(f"postgresql+asyncpg://clarion@127.0.0.1:{_closed_port()}/clarion")
    app = create_app(Settings(mode="dev"), sessions=make_sessions(engine), temporal=object())  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)  # an error re-raised after the answer (a logged traceback) fails here
    try:
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            response = await c.get(path, headers={"Authorization": "ApiKey sk_test_unknown"})
    finally:
        await engine.dispose()
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "5"
    assert response.headers["content-type"].startswith(content_type)


def test_a_query_error_is_not_an_outage() -> None:
    assert not is_database_outage(ValueError("bad"))
    assert not is_database_outage(KeyError("x"))
    assert is_database_outage(ConnectionRefusedError(111, "refused"))


async def test_an_inbox_socket_opened_during_an_outage_is_told_to_retry() -> None:
    engine = create_engine(f"postgresql+asyncpg://clarion@127.0.0.1:{_closed_port()}/clarion")
    app = create_app(Settings(mode="dev"), sessions=make_sessions(engine), temporal=object())  # type: ignore[arg-type]
    try:
        async with app.router.lifespan_context(app), serve_ws(app) as url:
            socket_url = url.replace("http", "ws", 1) + "/v1/inbox/socket?token=sst_whatever"
            with pytest.raises(websockets.ConnectionClosed) as closed:
                async with websockets.connect(socket_url) as ws:
                    await ws.recv()
    finally:
        await engine.dispose()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
