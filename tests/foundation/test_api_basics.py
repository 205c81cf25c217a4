"""Auth headers, error envelopes and limits of the native API (no Temporal needed)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter

from api.app import create_app
from api.deps import NativeAuth
from core.settings import Settings
from store import tenancy
from store.engine import make_sessions
from tests.factories import two_environments


@pytest.fixture
async def setup(engine):
    sessions = make_sessions(engine)
    t = await two_environments(sessions)
    env_a, env_b, key_a = t.env_a, t.env_b, t.key_a
    async with sessions() as session, session.begin():
        narrow = (await tenancy.create_key(session=session, name="n", environment=env_a, scopes=["topic:consume"])).raw
    app = create_app(Settings(mode="dev"), sessions=sessions, temporal=object())  # type: ignore[arg-type]
    probe = APIRouter()

    @probe.get("/v1/probe")
    async def whoami(principal: NativeAuth) -> dict[str, str]:
        return {"environment": str(principal.environment_id)}

    @probe.post("/v1/events/trigger/probe")
    async def echo(body: dict[str, object]) -> dict[str, int]:
        return {"keys": len(body)}

    app.include_router(probe)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield client, str(env_a.id), str(env_b.id), key_a, narrow


@pytest.mark.parametrize(
    "headers",
    [
        lambda k, e: {"Authorization": f"ApiKey {k}"},
        lambda k, e: {"Authorization": f"Bearer {k}"},
        lambda k, e: {"Authorization": f"Key {k}"},
        lambda k, e: {"X-Api-Key": k},
        lambda k, e: {"x-auth-token": k, "x-environment-id": e},
    ],
    ids=["apikey", "bearer", "key", "x-api-key", "x-auth-token"],
)
async def test_every_credential_carrier_resolves_the_environment(setup, headers):
    client, env_a, _, key, _ = setup
    response = await client.get("/v1/probe", headers=headers(key, env_a))
    assert response.status_code == 200
    assert response.json() == {"environment": env_a}


async def test_auth_failures_use_novu_error_body(setup):
    client, _, env_b, key, narrow = setup
    missing = await client.get("/v1/probe")
    assert missing.status_code == 401
    assert set(missing.json()) >= {"statusCode", "timestamp", "path", "message"}
    assert missing.json()["path"] == "/v1/probe"
    assert (await client.get("/v1/probe", headers={"Authorization": "ApiKey nope"})).status_code == 401
    other_env = await client.get("/v1/probe", headers={"x-auth-token": key, "x-environment-id": env_b})
    assert other_env.status_code == 403
    scoped = await client.get("/v1/probe", headers={"Authorization": f"ApiKey {narrow}"})
    assert scoped.status_code == 403 and "scope" in scoped.json()["message"]


async def test_malformed_json_unknown_route_and_oversize_body(setup):
    client, *_ = setup
    bad = await client.post(
        "/v1/events/trigger/probe", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "body"
    wrong_type = await client.post("/v1/events/trigger/probe", json=[1, 2])
    assert wrong_type.status_code == 422 and "body" in wrong_type.json()["errors"]
    unknown = await client.get("/v1/nothing-here")
    assert unknown.status_code == 404 and unknown.json()["message"] == "Cannot GET /v1/nothing-here"
    big = await client.post("/v1/events/trigger/probe", json={"x": "a" * (600 * 1024)})
    assert big.status_code == 413 and big.json()["statusCode"] == 413
    assert "x-request-id" in big.headers


async def test_dialect_error_formats_follow_the_path(setup):
    client, *_ = setup
    qala = await client.get("/management/v1/nothing")
    assert qala.headers["content-type"].startswith("application/problem+json")
    assert qala.json()["status"] == 404 and qala.json()["errors"][0]["severity"] is None
    workato = await client.get("/api/event_streams/nothing")
    assert workato.json()["code"] == "not_found" and workato.json()["error"] == workato.json()["message"]
    bitcaster = await client.get("/api/o/x/nothing")
    assert bitcaster.json() == {"detail": "Cannot GET /api/o/x/nothing"}


async def test_health_and_readiness_name_the_failure(setup):
    client, *_ = setup
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["temporal"].startswith("failed")
