"""The per-credential rate limit over the dialect routes (event-apis.md §0.7)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.exceptions import InvalidStatus

from api.app import create_app
from api.rate_limit import SlidingWindow
from core.settings import ApiSettings, Settings
from store.engine import make_sessions
from store.realtime import MemoryBus
from tests.factories import Tenancy, two_environments
from tests.hub.conftest import connect, receive, serve

pytestmark = pytest.mark.timeout(60)
TOPICS = "/api/event_streams/topics"
Api = Callable[[int], AbstractAsyncContextManager[tuple[httpx.AsyncClient, Tenancy]]]


@pytest.fixture
def api(engine: AsyncEngine) -> Api:
    """An in-process API whose rate limit is ``limit`` requests per minute."""

    @asynccontextmanager
    async def build(limit: int) -> AsyncIterator[tuple[httpx.AsyncClient, Tenancy]]:
        sessions = make_sessions(engine)
        t = await two_environments(sessions)
        settings = Settings(mode="dev", api=ApiSettings(rate_limit_per_minute=limit))
        app = create_app(settings, sessions=sessions, temporal=object(), bus=MemoryBus())  # type: ignore[arg-type]
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
        ):
            yield client, t

    return build


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _retry_after(response: httpx.Response) -> int:
    value = int(response.headers["Retry-After"])
    assert 1 <= value <= 60
    return value


async def test_the_sixth_workato_request_is_refused_and_another_key_is_unaffected(api: Api) -> None:
    async with api(5) as (client, t):
        for _ in range(5):
            assert (await client.get(TOPICS, headers=_bearer(t.key_a))).status_code == 200
        refused = await client.get(TOPICS, headers=_bearer(t.key_a))
        assert refused.status_code == 429
        _retry_after(refused)
        body = refused.json()
        assert body["code"] == "rate_limited" and body["error"] == body["message"] and "5 requests" in body["message"]
        assert refused.headers["X-Request-Id"]
        # The same key through another carrier is the same credential; another key has its own count.
        assert (await client.get(TOPICS, headers={"X-Api-Key": t.key_a})).status_code == 429
        assert (await client.get(TOPICS, headers=_bearer(t.key_b))).status_code == 200


async def test_qala_refusal_is_a_problem_and_the_count_spans_every_dialect(api: Api) -> None:
    async with api(5) as (client, t):
        key = {"x-auth-token": t.key_a}
        for path in (TOPICS, "/management/v1/api-keys", "/api/v1/ws/clients", "/management/v1/environments/"):
            assert (await client.get(path, headers=key)).status_code == 200, path
        # A request refused further in (no such topic) still counts: it is still a request.
        assert (await client.get(f"{TOPICS}/999", headers=key)).status_code == 404
        refused = await client.get("/management/v1/api-keys", headers=key)
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        _retry_after(refused)
        problem = refused.json()
        assert problem["status"] == 429 and problem["errors"][0]["code"] == "RATE_LIMITED"
        assert problem["traceId"] == refused.headers["X-Request-Id"]
        ping = await client.get("/api/system/ping", headers={"Authorization": f"Key {t.key_a}"})
        assert ping.status_code == 429 and set(ping.json()) == {"detail"}  # Bitcaster's own format
        hub = await client.get("/api/v1/ws/stats", headers=key)
        assert hub.status_code == 429 and hub.json()["code"] == 429 and hub.json()["stack"]  # Parallels'


async def test_native_routes_are_never_limited(api: Api) -> None:
    async with api(2) as (client, t):
        for _ in range(6):
            response = await client.get("/v1/subscribers", headers={"Authorization": f"ApiKey {t.key_a}"})
            assert response.status_code == 200
        assert (await client.get(TOPICS, headers=_bearer(t.key_a))).status_code == 200


async def test_zero_turns_the_limit_off(api: Api) -> None:
    async with api(0) as (client, t):
        for _ in range(30):
            assert (await client.get(TOPICS, headers=_bearer(t.key_a))).status_code == 200


async def test_websocket_handshakes_are_counted_and_refused_with_a_denial(engine: AsyncEngine) -> None:
    sessions = make_sessions(engine)
    t = await two_environments(sessions)
    settings = Settings(mode="dev", api=ApiSettings(rate_limit_per_minute=2))
    app = create_app(settings, sessions=sessions, temporal=object(), bus=MemoryBus())  # type: ignore[arg-type]
    async with app.router.lifespan_context(app), serve(app) as host:
        url = f"ws://{host}/api/v1/ws/subscribe"
        async with connect(url, additional_headers={"X-Api-Key": t.key_a}) as ws:
            assert (await receive(ws))["event_type"] == "global"  # the middleware leaves a socket intact
        async with httpx.AsyncClient() as client:
            listed = await client.get(f"http://{host}/api/v1/ws/clients", headers=_bearer(t.key_a))
        assert listed.status_code == 200
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{url}?access_token={t.key_a}"):
                pass
        response = refused.value.response
        assert response.status_code == 429 and 1 <= int(response.headers["Retry-After"]) <= 60
        assert json.loads(response.body)["code"] == 429
        async with connect(url, additional_headers={"X-Api-Key": t.key_b}) as ws:
            assert (await receive(ws))["event_type"] == "global"


def test_the_window_frees_a_slot_when_the_oldest_hit_leaves_it() -> None:
    now = [1000.0]
    window = SlidingWindow(3, window=60.0, clock=lambda: now[0])
    for moment in (1000.0, 1010.0, 1020.0):
        now[0] = moment
        assert window.hit(b"k") == 0.0
    now[0] = 1030.0
    assert window.hit(b"k") == pytest.approx(30.0)  # the hit at 1000 leaves the window at 1060
    assert window.hit(b"other") == 0.0
    now[0] = 1060.0
    assert window.hit(b"k") == 0.0
    assert window.hit(b"k") == pytest.approx(10.0)
    now[0] = 1200.0  # long idle: the sweep forgets both keys, and counting starts afresh
    assert window.hit(b"k") == 0.0
    assert list(window._hits) == [b"k"]
