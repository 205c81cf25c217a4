"""The Inbox contract over HTTP: session (HMAC, errors), /v1/inbox notifications and preferences, CORS."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx

from api import cors
from api.app import create_app
from api.novu.inbox.session import subscriber_hash
from core.settings import ApiSettings, Settings
from store import session_tokens, tenancy
from store.engine import make_sessions
from store.models import NotificationWorkflow
from tests.api.inbox_data import seed
from tests.factories import two_environments


async def _identifier(api, headers=None) -> tuple[str, str]:
    me = (await api.client.get("/v1/environments/me", headers=headers or api.headers_a)).json()["data"]
    return me["_id"], me["applicationIdentifier"]


async def _hmac(api, on: bool, headers=None) -> str:
    env_id, identifier = await _identifier(api, headers)
    r = await api.client.put(f"/v1/environments/{env_id}", json={"inboxHmac": on}, headers=headers or api.headers_a)
    assert r.status_code == 200 and r.json()["data"]["inboxHmac"] is on, r.text
    return identifier


async def _session(api, identifier, subscriber="ada", status=201, **extra):
    body = {"applicationIdentifier": identifier, **extra}
    if subscriber is not None:
        body["subscriber"] = {"subscriberId": subscriber, "firstName": "Ada"}
    r = await api.client.post("/v1/inbox/session", json=body)
    assert r.status_code == status, r.text
    return r.json()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_session_answers_as_novu_and_counts_unread(native_api):
    await seed(native_api)
    identifier = await _hmac(native_api, False)
    data = (await _session(native_api, identifier))["data"]
    assert set(data) == {
        "token",
        "totalUnreadCount",
        "unreadCount",
        "removeNovuBranding",
        "maxSnoozeDurationHours",
        "isDevelopmentMode",
        "applicationIdentifier",
    }
    assert data["token"].startswith("sst_") and data["applicationIdentifier"] == identifier
    listed = (
        await native_api.client.get(
            "/v1/inbox/notifications", params={"read": "false", "archived": "false"}, headers=_bearer(data["token"])
        )
    ).json()
    assert data["unreadCount"]["total"] == data["totalUnreadCount"] == len(listed["data"]) > 0
    assert set(data["unreadCount"]["severity"]) == {"high", "medium", "low", "none"}
    # The older body names the subscriber at the top level.
    older = await _session(native_api, identifier, subscriber=None, subscriberId="newcomer")
    assert older["data"]["totalUnreadCount"] == 0


async def test_unknown_identifier_and_bad_hash_are_refused_as_novu_does(native_api):
    r = await native_api.client.post("/v1/inbox/session", json={"applicationIdentifier": "nope", "subscriberId": "x"})
    assert r.status_code == 400 and r.json()["message"] == "Please provide a valid app identifier"
    identifier = await _hmac(native_api, True)
    async with native_api.sessions() as session, session.begin():
        env = native_api.tenancy.env_a
        key = (
            await tenancy.create_key(
                session=session, name="hmac", environment=env, seal=native_api.app.state.cipher.seal_secret
            )
        ).raw
    for wrong in ({}, {"subscriberHash": "0" * 64}, {"subscriberHash": subscriber_hash(key, "bob")}):
        body = await _session(native_api, identifier, status=400, **wrong)
        assert body["message"] == "Please provide a valid HMAC hash" and body["statusCode"] == 400
    ok = await _session(native_api, identifier, subscriberHash=subscriber_hash(key, "ada"))
    assert ok["data"]["token"].startswith("sst_")
    # An API key is not a session: the inbox routes refuse it.
    r = await native_api.client.get("/v1/inbox/notifications", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 401


async def test_inbox_routes_act_on_the_session_subscriber_only(native_api):
    inbox = await seed(native_api)
    identifier = await _hmac(native_api, False)
    ada = _bearer((await _session(native_api, identifier))["data"]["token"])
    bob = _bearer((await _session(native_api, identifier, subscriber="bob"))["data"]["token"])
    listed = (await native_api.client.get("/v1/inbox/notifications", params={"limit": 100}, headers=ada)).json()
    assert {n["id"] for n in listed["data"]} == {str(m.id) for m in inbox.feed}
    first = listed["data"][0]
    assert first["to"]["subscriberId"] == "ada" and first["channelType"] == "in_app" and "severity" in first
    assert None not in first.values() or {k for k, v in first.items() if v is None} <= {
        "readAt",
        "firstSeenAt",
        "archivedAt",
    }
    # Bob cannot read, change or delete Ada's notification: 404, and nothing changes.
    for method, path in (("PATCH", "read"), ("PATCH", "archive"), ("DELETE", "delete")):
        r = await native_api.client.request(method, f"/v1/inbox/notifications/{first['id']}/{path}", headers=bob)
        assert r.status_code == 404, r.text
    bobs = (await native_api.client.get("/v1/inbox/notifications", headers=bob)).json()["data"]
    assert [n["id"] for n in bobs] == [str(inbox.bobs.id)]
    read = (await native_api.client.patch(f"/v1/inbox/notifications/{first['id']}/read", headers=ada)).json()["data"]
    assert read["isRead"] is True and read["readAt"]


async def test_snooze_hides_until_the_time_and_is_bounded(native_api):
    inbox = await seed(native_api)
    identifier = await _hmac(native_api, False)
    ada = _bearer((await _session(native_api, identifier))["data"]["token"])
    target = str(inbox.feed[0].id)
    too_far = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    r = await native_api.client.patch(
        f"/v1/inbox/notifications/{target}/snooze", json={"snoozeUntil": too_far}, headers=ada
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "snoozeUntil"
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    r = await native_api.client.patch(
        f"/v1/inbox/notifications/{target}/snooze", json={"snoozeUntil": until}, headers=ada
    )
    assert r.status_code == 200 and r.json()["data"]["isSnoozed"] is True and r.json()["data"]["snoozedUntil"]
    awake = (
        await native_api.client.get("/v1/inbox/notifications", params={"snoozed": "false", "limit": 100}, headers=ada)
    ).json()["data"]
    snoozed = (await native_api.client.get("/v1/inbox/notifications", params={"snoozed": "true"}, headers=ada)).json()
    assert target not in {n["id"] for n in awake} and [n["id"] for n in snoozed["data"]] == [target]
    counts = (
        await native_api.client.get(
            "/v1/inbox/notifications/count", headers=ada, params={"filters": json.dumps([{"snoozed": True}])}
        )
    ).json()
    assert counts["data"][0]["count"] == 1
    back = (await native_api.client.patch(f"/v1/inbox/notifications/{target}/unsnooze", headers=ada)).json()["data"]
    assert back["isSnoozed"] is False and back["isRead"] is False and "snoozedUntil" not in back


async def test_severity_comes_from_the_workflow_and_filters(native_api):
    inbox = await seed(native_api)
    async with native_api.sessions() as session, session.begin():
        wf = await session.get(NotificationWorkflow, inbox.workflow.id)
        assert wf is not None
        wf.severity = "high"
    identifier = await _hmac(native_api, False)
    data = (await _session(native_api, identifier))["data"]
    ada = _bearer(data["token"])
    high = (
        await native_api.client.get("/v1/inbox/notifications", params={"severity[]": "high", "limit": 100}, headers=ada)
    ).json()["data"]
    assert high and {n["severity"] for n in high} == {"high"} and high[0]["workflow"]["severity"] == "high"
    assert (
        data["unreadCount"]["severity"]["high"]
        == data["unreadCount"]["total"] - data["unreadCount"]["severity"]["none"]
    )


async def test_preferences_global_schedule_and_workflow(native_api):
    inbox = await seed(native_api)
    identifier = await _hmac(native_api, False)
    ada = _bearer((await _session(native_api, identifier))["data"]["token"])
    listed = (await native_api.client.get("/v1/inbox/preferences", headers=ada)).json()["data"]
    assert listed[0]["level"] == "global" and all(p["level"] == "template" for p in listed[1:])
    schedule = {
        "isEnabled": True,
        "weeklySchedule": {"monday": {"isEnabled": True, "hours": [{"start": "09:00 AM", "end": "05:00 PM"}]}},
    }
    r = await native_api.client.patch("/v1/inbox/preferences", json={"schedule": schedule}, headers=ada)
    assert r.status_code == 200 and r.json()["data"]["schedule"] == schedule
    r = await native_api.client.patch("/v1/inbox/preferences", json={"email": False}, headers=ada)
    assert r.json()["data"]["channels"]["email"] is False
    # The seeded workflow is critical: a subscriber cannot change it, as in Novu.
    r = await native_api.client.patch(
        f"/v1/inbox/preferences/{inbox.workflow.identifier}", json={"in_app": False}, headers=ada
    )
    assert r.status_code == 400 and r.json()["message"] == "Critical workflow can not be updated"
    async with native_api.sessions() as session, session.begin():
        session.add(
            NotificationWorkflow(
                environment_id=native_api.tenancy.env_a.id, identifier="digest", name="D", steps=[{"type": "in_app"}]
            )
        )
    r = await native_api.client.patch("/v1/inbox/preferences/digest", json={"in_app": False}, headers=ada)
    assert r.status_code == 200 and r.json()["data"]["channels"]["in_app"] is False, r.text
    glob = (await native_api.client.get("/v1/inbox/preferences/global", headers=ada)).json()["data"]
    assert glob["schedule"] == schedule and glob["channels"]["email"] is False


async def test_cors_preflight_and_per_environment_origins(native_api):
    pre = await native_api.client.options(
        "/v1/inbox/session",
        headers={
            "Origin": "http://elsewhere.test",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,novu-api-version",
        },
    )
    # Dev mode allows any origin by default.
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "http://elsewhere.test"
    assert "novu-api-version" in pre.headers["access-control-allow-headers"]
    env_id, _ = await _identifier(native_api)
    r = await native_api.client.put(
        f"/v1/environments/{env_id}", json={"corsOrigins": ["ftp://x"]}, headers=native_api.headers_a
    )
    assert r.status_code == 422 or r.status_code == 400


async def test_expired_and_revoked_tokens_get_401(native_api):
    identifier = await _hmac(native_api, False)
    expired = (await _session(native_api, identifier))["data"]["token"]
    revoked = (await _session(native_api, identifier))["data"]["token"]
    async with native_api.sessions() as session, session.begin():
        row = await session_tokens.find_live(session=session, raw=expired)
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        assert await session_tokens.revoke(session=session, raw=revoked, environment_id=native_api.tenancy.env_a.id)
    for token in (expired, revoked, "sst_not-a-token"):
        r = await native_api.client.get("/v1/inbox/notifications", headers=_bearer(token))
        assert r.status_code == 401 and r.json()["statusCode"] == 401 and r.json()["path"] == "/v1/inbox/notifications"


async def test_each_environment_allows_its_own_origins(engine):
    sessions = make_sessions(engine)
    t = await two_environments(sessions)
    app = create_app(Settings(mode="dev", api=ApiSettings(cors_origins=[])), sessions=sessions,
                     temporal=object())  # type: ignore[arg-type]
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                                    base_url="http://t") as client:
        for env, key, origin in ((t.env_a, t.key_a, "https://a.test"), (t.env_b, t.key_b, "https://b.test")):
            r = await client.put(f"/v1/environments/{env.id}", json={"corsOrigins": [origin], "inboxHmac": False},
                                 headers={"Authorization": f"ApiKey {key}"})
            assert r.status_code == 200, r.text
        identifier = (await client.get("/v1/environments/me", headers={"Authorization": f"ApiKey {t.key_a}"})
                      ).json()["data"]["applicationIdentifier"]
        await asyncio.sleep(cors.REFRESH_SECONDS)  # preflights see origins added within this long
        preflight = {"Access-Control-Request-Method": "POST"}
        ok = await client.options("/v1/inbox/session", headers={"Origin": "https://a.test", **preflight})
        unknown = await client.options("/v1/inbox/session", headers={"Origin": "https://evil.test", **preflight})
        assert ok.status_code == 204 and ok.headers["access-control-allow-origin"] == "https://a.test"
        assert unknown.status_code == 403 and "access-control-allow-origin" not in unknown.headers
        body = {"applicationIdentifier": identifier, "subscriberId": "ada"}
        mine = await client.post("/v1/inbox/session", json=body, headers={"Origin": "https://a.test"})
        assert mine.status_code == 201 and mine.headers["access-control-allow-origin"] == "https://a.test"
        # b.test passes the preflight (environment B allows it) but not environment A's session.
        other = await client.post("/v1/inbox/session", json=body, headers={"Origin": "https://b.test"})
        assert other.status_code == 403 and "https://b.test" in other.json()["message"]
