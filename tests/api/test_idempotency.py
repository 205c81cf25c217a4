"""``Idempotency-Key`` on POST and PATCH: one run per (environment, key), replays after it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from api.deps import NativeAuth
from api.errors import ApiError, BadRequest
from store import idempotency as records
from store.models import IdempotencyRecord
from tests.conftest import NativeApi

PATH = "/v1/idem-probe"


@dataclass
class Probe:
    """A route that counts its runs and behaves as told."""

    runs: int = 0
    sleep: float = 0.0
    mode: str = "ok"  # ok | 500 | crash | 400 | text | big


@pytest.fixture
async def api(native_api: NativeApi) -> AsyncIterator[tuple[NativeApi, Probe]]:
    probe = Probe()
    router = APIRouter()

    async def handle(request: Request) -> Response:
        probe.runs += 1
        if probe.sleep:
            await asyncio.sleep(probe.sleep)
        if probe.mode == "500":
            raise ApiError("boom")
        if probe.mode == "crash":
            raise RuntimeError("crash")
        if probe.mode == "400":
            raise BadRequest("nope", field_errors={"x": "bad"})
        if probe.mode == "text":
            return PlainTextResponse(f"run {probe.runs}", status_code=201)
        if probe.mode == "big":
            return JSONResponse({"blob": "x" * (1024 * 1024 + 10), "run": probe.runs}, status_code=201)
        body = await request.body()
        return JSONResponse({"run": probe.runs, "echo": body.decode(), "query": request.url.query}, status_code=201)

    for path in (PATH, "/v1/events/trigger/idem-probe", "/management/v1/idem-probe"):

        @router.post(path, response_model=None)
        @router.patch(path, response_model=None)
        @router.get(path, response_model=None)
        async def run(request: Request, principal: NativeAuth) -> Response:
            return await handle(request)

    native_api.app.include_router(router)
    yield native_api, probe


def keyed(api: NativeApi, key: str, *, env: str = "a") -> dict[str, str]:
    return {**(api.headers_a if env == "a" else api.headers_b), "Idempotency-Key": key}


async def stored(api: NativeApi, key: str, *, env: str = "a") -> IdempotencyRecord | None:
    environment = api.tenancy.env_a if env == "a" else api.tenancy.env_b
    async with api.sessions() as session:
        return await records.get(session=session, environment_id=environment.id, key=key)


async def test_a_repeat_replays_the_stored_response_without_running_the_route(api):
    client, probe = api
    first = await client.client.post(PATH, json={"n": 1}, headers=keyed(client, "k1"))
    assert first.status_code == 201 and first.json()["run"] == 1
    assert first.headers["idempotency-key"] == "k1" and "idempotency-replay" not in first.headers
    again = await client.client.post(PATH, json={"n": 1}, headers={**keyed(client, "k1"), "Idempotency-Key": "k1"})
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotency-replay"] == "true" and again.headers["idempotency-key"] == "k1"
    assert again.headers["content-type"] == "application/json"
    assert "x-request-id" in again.headers
    assert probe.runs == 1
    record = await stored(client, "k1")
    assert record is not None and record.status_code == 201
    ttl = record.expires_at - datetime.now(UTC)
    assert timedelta(hours=23) < ttl <= timedelta(hours=24)


async def test_patch_is_keyed_too_and_the_header_name_is_case_insensitive(api):
    client, probe = api
    headers = {**client.headers_a, "IDEMPOTENCY-KEY": "p1"}
    first = await client.client.patch(PATH, json={"n": 1}, headers=headers)
    again = await client.client.patch(PATH, json={"n": 1}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotency-replay") == "true" and probe.runs == 1


async def test_same_key_with_another_body_path_or_query_is_refused_with_422(api):
    client, probe = api
    assert (await client.client.post(PATH, json={"n": 1}, headers=keyed(client, "k2"))).status_code == 201
    other_body = await client.client.post(PATH, json={"n": 2}, headers=keyed(client, "k2"))
    assert other_body.status_code == 422
    assert "different body" in other_body.json()["message"]
    assert set(other_body.json()) >= {"statusCode", "timestamp", "path", "message"}
    assert "Idempotency-Key" in other_body.json()["errors"]
    other_query = await client.client.post(PATH + "?x=1", json={"n": 1}, headers=keyed(client, "k2"))
    assert other_query.status_code == 422
    other_path = await client.client.post("/v1/events/trigger/idem-probe", json={"n": 1}, headers=keyed(client, "k2"))
    assert other_path.status_code == 422
    assert probe.runs == 1


async def test_errors_follow_the_dialect_of_the_path(api):
    client, _ = api
    path = "/management/v1/idem-probe"
    assert (await client.client.post(path, json={"n": 1}, headers=keyed(client, "q1"))).status_code == 201
    refused = await client.client.post(path, json={"n": 2}, headers=keyed(client, "q1"))
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["status"] == 422


async def test_a_duplicate_while_the_first_runs_gets_409_with_retry_after(api):
    client, probe = api
    probe.sleep = 0.5
    responses = await asyncio.gather(
        client.client.post(PATH, json={"n": 1}, headers=keyed(client, "k3")),
        client.client.post(PATH, json={"n": 1}, headers=keyed(client, "k3")),
    )
    done, busy = sorted(responses, key=lambda r: r.status_code)
    assert (done.status_code, busy.status_code) == (201, 409)
    assert busy.headers["retry-after"] == "1" and busy.headers["idempotency-key"] == "k3"
    assert busy.json()["statusCode"] == 409 and "being processed" in busy.json()["message"]
    assert probe.runs == 1
    probe.sleep = 0
    later = await client.client.post(PATH, json={"n": 1}, headers=keyed(client, "k3"))
    assert later.headers.get("idempotency-replay") == "true" and later.content == done.content


@pytest.mark.parametrize("mode", ["500", "crash", "text", "big"])
async def test_failures_and_unstorable_responses_release_the_key(api, mode):
    client, probe = api
    probe.mode = mode
    transport = httpx.ASGITransport(app=client.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as lenient:
        first = await lenient.post(PATH, json={"n": 1}, headers=keyed(client, "k4"))
    assert first.status_code == (500 if mode in ("500", "crash") else 201)
    assert await stored(client, "k4") is None
    probe.mode = "ok"
    retry = await client.client.post(PATH, json={"n": 1}, headers=keyed(client, "k4"))
    assert retry.status_code == 201 and "idempotency-replay" not in retry.headers
    assert probe.runs == 2


async def test_client_errors_are_stored_and_replayed(api):
    client, probe = api
    probe.mode = "400"
    first = await client.client.post(PATH, json={"n": 1}, headers=keyed(client, "k5"))
    again = await client.client.post(PATH, json={"n": 1}, headers=keyed(client, "k5"))
    assert first.status_code == again.status_code == 400
    assert again.headers["idempotency-replay"] == "true" and again.json() == first.json()
    assert probe.runs == 1


async def test_keys_are_scoped_per_environment(api):
    client, probe = api
    a = await client.client.post(PATH, json={"n": 1}, headers=keyed(client, "k6"))
    b = await client.client.post(PATH, json={"n": 1}, headers=keyed(client, "k6", env="b"))
    assert a.json()["run"] == 1 and b.json()["run"] == 2
    assert "idempotency-replay" not in b.headers
    a_again = await client.client.post(PATH, json={"n": 1}, headers=keyed(client, "k6"))
    b_again = await client.client.post(PATH, json={"n": 1}, headers=keyed(client, "k6", env="b"))
    assert a_again.json()["run"] == 1 and b_again.json()["run"] == 2
    assert probe.runs == 2


async def test_get_ignores_the_header(api):
    client, probe = api
    for _ in range(2):
        response = await client.client.get(PATH, headers=keyed(client, "k7"))
        assert response.status_code == 201
        assert "idempotency-replay" not in response.headers and "idempotency-key" not in response.headers
    assert probe.runs == 2
    assert await stored(client, "k7") is None


async def test_an_expired_record_is_overwritten(api):
    client, probe = api
    assert (await client.client.post(PATH, json={"n": 1}, headers=keyed(client, "k8"))).status_code == 201
    async with client.sessions() as session, session.begin():
        record = await records.get(session=session, environment_id=client.tenancy.env_a.id, key="k8")
        assert record is not None
        record.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    # Another body too: an expired record no longer binds the key to anything.
    fresh = await client.client.post(PATH, json={"n": 2}, headers=keyed(client, "k8"))
    assert fresh.status_code == 201 and fresh.json()["run"] == 2
    assert "idempotency-replay" not in fresh.headers
    record = await stored(client, "k8")
    assert record is not None and record.expires_at > datetime.now(UTC) + timedelta(hours=23)
    assert probe.runs == 2


async def test_a_key_over_255_characters_is_refused_naming_the_header(api):
    client, probe = api
    too_long = await client.client.post(PATH, json={"n": 1}, headers=keyed(client, "k" * 256))
    assert too_long.status_code == 400
    assert too_long.json()["errors"][0]["field"] == "Idempotency-Key"
    assert "Idempotency-Key" in too_long.json()["message"]
    assert probe.runs == 0
    assert (await client.client.post(PATH, json={"n": 1}, headers=keyed(client, "k" * 255))).status_code == 201


async def test_without_a_valid_api_key_the_route_answers_401(api):
    client, probe = api
    for headers in ({"Idempotency-Key": "k9"}, {"Authorization": "ApiKey nope", "Idempotency-Key": "k9"}):
        response = await client.client.post(PATH, json={"n": 1}, headers=headers)
        assert response.status_code == 401 and "idempotency-key" not in response.headers
    assert probe.runs == 0


async def test_the_body_limit_still_applies_to_declared_and_streamed_bodies(api):
    client, probe = api
    path = "/v1/events/trigger/idem-probe"
    declared = await client.client.post(path, json={"x": "a" * (600 * 1024)}, headers=keyed(client, "k10"))
    assert declared.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(6):
            yield b"a" * (100 * 1024)

    streamed = await client.client.post(path, content=chunks(), headers=keyed(client, "k10"))
    assert streamed.status_code == 413 and streamed.json()["statusCode"] == 413
    assert "x-request-id" in streamed.headers
    assert probe.runs == 0
    assert await stored(client, "k10") is None
