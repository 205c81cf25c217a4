"""Novu's subscriber routes (v1, v2, credentials, online status) over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from store import subscribers as subscriber_store
from store.models import Message, Notification, SubscriberPreference, Topic, TopicSubscriber

REQUIRED = {"subscriberId", "_organizationId", "_environmentId", "deleted", "createdAt", "updatedAt"}


async def create(api, body: dict[str, Any], *, version: str = "v1", headers=None) -> dict[str, Any]:
    response = await api.client.post(f"/{version}/subscribers", json=body, headers=headers or api.headers_a)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert set(data) >= REQUIRED
    return data


async def get(api, subscriber_id: str, *, version: str = "v1", headers=None):
    return await api.client.get(f"/{version}/subscribers/{subscriber_id}", headers=headers or api.headers_a)


def assert_novu_error(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status and body["path"] and body["timestamp"] and body["message"]
    return body


async def test_v1_crud_round_trip(native_api):
    api = native_api
    created = await create(api, {"subscriberId": "ada", "firstName": "Ada", "email": "ada@example.test",
                                 "data": {"plan": "pro"}})
    assert created["firstName"] == "Ada" and created["data"] == {"plan": "pro"} and created["deleted"] is False
    assert created["_environmentId"] == str(api.tenancy.env_a.id) and created["channels"] == []
    got = (await get(api, "ada")).json()["data"]
    assert got == created
    # novu 1.14 sends every unset field as null: those keep their value.
    put = await api.client.put("/v1/subscribers/ada", headers=api.headers_a, json={
        "subscriberId": "ada", "email": None, "firstName": None, "lastName": "Lovelace", "phone": None,
        "avatar": None, "locale": None, "channels": None, "data": None,
    })
    assert put.status_code == 200, put.text
    updated = put.json()["data"]
    assert (updated["firstName"], updated["lastName"], updated["email"]) == ("Ada", "Lovelace", "ada@example.test")
    assert updated["data"] == {"plan": "pro"}
    deleted = await api.client.delete("/v1/subscribers/ada", headers=api.headers_a)
    assert deleted.status_code == 200 and deleted.json() == {"data": {"acknowledged": True, "status": "deleted"}}
    assert_novu_error(await get(api, "ada"), 404)
    assert_novu_error(await api.client.delete("/v1/subscribers/ada", headers=api.headers_a), 404)
    assert_novu_error(await api.client.put("/v1/subscribers/ada", headers=api.headers_a, json={}), 404)


async def test_v1_create_of_an_existing_subscriber_updates_it(native_api):
    api = native_api
    first = await create(api, {"subscriberId": "ada", "email": "a@x.test", "data": {"a": 1}})
    again = await create(api, {"subscriberId": "ada", "phone": "+100", "data": {"b": 2}, "email": None})
    assert again["_id"] == first["_id"]
    assert (again["email"], again["phone"], again["data"]) == ("a@x.test", "+100", {"b": 2})


async def test_v1_list_pages_with_float_numbers(native_api):
    api = native_api
    for sid in ("s1", "s2", "s3"):
        await create(api, {"subscriberId": sid})
    first = (await api.client.get("/v1/subscribers?page=0.0&limit=2.0", headers=api.headers_a)).json()
    assert (first["page"], first["pageSize"], first["totalCount"], first["hasMore"]) == (0, 2, 3, True)
    second = (await api.client.get("/v1/subscribers?page=1&limit=2", headers=api.headers_a)).json()
    assert (second["page"], second["hasMore"], len(second["data"])) == (1, False, 1)
    seen = [s["subscriberId"] for s in first["data"] + second["data"]]
    assert sorted(seen) == ["s1", "s2", "s3"]
    assert (await api.client.get("/v1/subscribers?limit=101", headers=api.headers_a)).status_code == 422


async def test_v2_create_fail_if_exists_patch_and_delete(native_api):
    api = native_api
    created = await create(api, {"subscriberId": "bo", "firstName": "Bo", "locale": "en"}, version="v2")
    conflict = await api.client.post("/v2/subscribers?failIfExists=true", json={"subscriberId": "bo"},
                                     headers=api.headers_a)
    assert assert_novu_error(conflict, 409)["_id"] == created["_id"]
    upserted = await create(api, {"subscriberId": "bo", "lastName": "Diddley", "firstName": None}, version="v2")
    assert upserted["_id"] == created["_id"] and (upserted["firstName"], upserted["lastName"]) == ("Bo", "Diddley")
    # In a v2 PATCH an explicit null clears the field; absent fields stay.
    change = {"firstName": None, "data": {"x": 1}, "timezone": "UTC"}
    patched = await api.client.patch("/v2/subscribers/bo", json=change, headers=api.headers_a)
    assert patched.status_code == 200, patched.text
    data = patched.json()["data"]
    assert ("firstName" in data, data["lastName"], data["locale"], data["timezone"]) == (False, "Diddley", "en", "UTC")
    assert data["data"] == {"x": 1}
    assert (await get(api, "bo", version="v2")).json()["data"] == data
    deleted = await api.client.delete("/v2/subscribers/bo", headers=api.headers_a)
    assert deleted.status_code == 200 and deleted.json() == {"data": {"acknowledged": True, "status": "deleted"}}
    assert_novu_error(await get(api, "bo", version="v2"), 404)
    assert_novu_error(await api.client.patch("/v2/subscribers/bo", json={}, headers=api.headers_a), 404)


async def search(api, query: str = "", headers=None) -> dict[str, Any]:
    response = await api.client.get(f"/v2/subscribers?{query}", headers=headers or api.headers_a)
    assert response.status_code == 200, response.text
    return response.json()


async def test_v2_search_pages_with_cursors_both_ways(native_api):
    api = native_api
    for n in range(5):
        await create(api, {"subscriberId": f"s{n}"})
    everyone = [s["subscriberId"] for s in (await search(api, "limit=100"))["data"]]
    assert sorted(everyone) == [f"s{n}" for n in range(5)]
    first = await search(api, "limit=2.0")
    assert first["previous"] is None and first["next"] and first["totalCount"] == 5
    assert first["totalCountCapped"] is False
    second = await search(api, f"limit=2&after={first['next']}")
    third = await search(api, f"limit=2&after={second['next']}")
    assert third["next"] is None and third["previous"]
    pages = [[s["subscriberId"] for s in p["data"]] for p in (first, second, third)]
    assert [sid for page in pages for sid in page] == everyone
    back = await search(api, f"limit=2&before={third['previous']}")
    assert [s["subscriberId"] for s in back["data"]] == pages[1]
    assert back["next"] and back["previous"]
    assert [s["subscriberId"] for s in (await search(api, "limit=100&orderDirection=ASC"))["data"]] == everyone[::-1]
    with_cursor = await search(api, f"limit=2&after={first['next']}&includeCursor=true")
    assert [s["subscriberId"] for s in with_cursor["data"]] == [pages[0][1], pages[1][0]]


async def test_a_cursor_outlives_the_subscriber_it_points_at(native_api):
    api = native_api
    for n in range(4):
        await create(api, {"subscriberId": f"s{n}"})
    first = await search(api, "limit=2")
    for item in first["data"]:  # a cleanup script deleting page by page
        assert (await api.client.delete(f"/v2/subscribers/{item['subscriberId']}", headers=api.headers_a)).is_success
    rest = await search(api, f"limit=2&after={first['next']}")
    assert len(rest["data"]) == 2 and rest["next"] is None and rest["previous"] is None


async def test_v2_search_filters(native_api):
    api = native_api
    await create(api, {"subscriberId": "ada", "firstName": "Ada", "lastName": "Lovelace", "email": "ada@x.test",
                       "phone": "+1"})
    await create(api, {"subscriberId": "adam", "firstName": "Adam", "email": "adam@x.test", "phone": "+2"})
    await create(api, {"subscriberId": "grace", "lastName": "Hopper"})

    async def ids(query: str) -> list[str]:
        return sorted(s["subscriberId"] for s in (await search(api, query))["data"])

    assert await ids("subscriberId=ada") == ["ada"]
    assert await ids("email=adam@x.test") == ["adam"]
    assert await ids("phone=%2B1") == ["ada"]
    assert await ids("name=ADA") == ["ada", "adam"]
    assert await ids("name=a%20love") == ["ada"]
    assert await ids("name=hopp") == ["grace"]
    assert (await search(api, "name=ada"))["totalCount"] == 2
    assert await ids("name=%25") == []  # LIKE wildcards are matched literally


async def test_v2_search_refuses_bad_parameters(native_api):
    api = native_api
    bad_cursor = await api.client.get("/v2/subscribers?after=nonsense", headers=api.headers_a)
    assert assert_novu_error(bad_cursor, 400)["errors"][0]["field"] == "after"
    await create(api, {"subscriberId": "a"})
    await create(api, {"subscriberId": "b"})
    cursor = (await search(api, "limit=1"))["next"]
    other_order = await api.client.get(f"/v2/subscribers?orderBy=updatedAt&after={cursor}", headers=api.headers_a)
    assert_novu_error(other_order, 400)
    for query in ("limit=0", "limit=101", "orderBy=name", "orderDirection=up"):
        assert (await api.client.get(f"/v2/subscribers?{query}", headers=api.headers_a)).status_code == 422, query


async def test_bulk_create_reports_created_updated_and_failed(native_api):
    api = native_api
    await create(api, {"subscriberId": "old", "email": "old@x.test"})
    response = await api.client.post("/v1/subscribers/bulk", headers=api.headers_a, json={"subscribers": [
        {"subscriberId": "new", "firstName": "New"},
        {"subscriberId": "old", "firstName": "Old", "email": None},
        {"firstName": "no id"},
        {"subscriberId": "long", "email": "x" * 400},
        "not an object",
        {"subscriberId": "new", "lastName": "Again"},
    ]})
    assert response.status_code == 201, response.text
    result = response.json()["data"]
    assert result["created"] == [{"subscriberId": "new"}]
    assert result["updated"] == [{"subscriberId": "old"}, {"subscriberId": "new"}]
    assert [f.get("subscriberId") for f in result["failed"]] == [None, "long", None]
    assert "subscriberId" in result["failed"][0]["message"] and "email" in result["failed"][1]["message"]
    old = (await get(api, "old")).json()["data"]
    assert (old["firstName"], old["email"]) == ("Old", "old@x.test")
    new = (await get(api, "new")).json()["data"]
    assert (new["firstName"], new["lastName"]) == ("New", "Again")
    assert_novu_error(await get(api, "long"), 404)


async def test_bulk_create_refuses_more_than_500(native_api):
    api = native_api
    body = {"subscribers": [{"subscriberId": f"s{n}"} for n in range(501)]}
    response = await api.client.post("/v1/subscribers/bulk", headers=api.headers_a, json=body)
    error = assert_novu_error(response, 400)
    assert error["type"] == "BadRequestException" and error["errors"][0]["field"] == "subscribers"
    assert (await search(api))["totalCount"] == 0
    body["subscribers"].pop()
    assert (await api.client.post("/v1/subscribers/bulk", headers=api.headers_a, json=body)).status_code == 201
    assert (await search(api))["totalCount"] == 500


async def test_credentials_replace_append_and_delete(native_api):
    api = native_api
    await create(api, {"subscriberId": "ada"})
    url = "/v1/subscribers/ada/credentials"

    async def send(method: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        response = await api.client.request(method, url, json=body, headers=api.headers_a)
        assert response.status_code == 200, response.text
        return response.json()["data"]["channels"]

    def creds(channels: list[dict[str, Any]], provider: str) -> dict[str, Any]:
        (entry,) = [c for c in channels if c["providerId"] == provider]
        assert entry["_integrationId"] == ""
        return {k: v for k, v in entry["credentials"].items() if v is not None}

    slack = await send("PUT", {"providerId": "slack", "credentials": {"webhookUrl": "https://hooks.test/1"}})
    assert creds(slack, "slack") == {"webhookUrl": "https://hooks.test/1"}
    await send("PUT", {"providerId": "fcm", "credentials": {"deviceTokens": ["a", "b"]}})
    appended = await send("PATCH", {"providerId": "fcm", "credentials": {"deviceTokens": ["b", "c"]}})
    assert creds(appended, "fcm") == {"deviceTokens": ["a", "b", "c"]}
    replaced = await send("PUT", {"providerId": "fcm", "credentials": {"deviceTokens": ["d"]}})
    assert creds(replaced, "fcm") == {"deviceTokens": ["d"]} and len(replaced) == 2
    removed = await api.client.delete(f"{url}/fcm", headers=api.headers_a)
    assert removed.status_code == 204 and removed.content == b""
    channels = (await get(api, "ada")).json()["data"]["channels"]
    assert [c["providerId"] for c in channels] == ["slack"]
    assert (await api.client.delete(f"{url}/fcm", headers=api.headers_a)).status_code == 204
    unknown = await api.client.put(url, json={"providerId": "carrier-pigeon", "credentials": {}}, headers=api.headers_a)
    assert assert_novu_error(unknown, 422)["errors"]["providerId"]
    missing = await api.client.put("/v1/subscribers/nobody/credentials", headers=api.headers_a,
                                   json={"providerId": "slack", "credentials": {}})
    assert_novu_error(missing, 404)


async def test_online_status(native_api):
    api = native_api
    await create(api, {"subscriberId": "ada"})
    url = "/v1/subscribers/ada/online-status"
    online = (await api.client.patch(url, json={"isOnline": True}, headers=api.headers_a)).json()["data"]
    assert online["isOnline"] is True and "lastOnlineAt" not in online
    offline = (await api.client.patch(url, json={"isOnline": False}, headers=api.headers_a)).json()["data"]
    assert offline["isOnline"] is False and offline["lastOnlineAt"].endswith("Z")
    assert (await api.client.patch(url, json={}, headers=api.headers_a)).status_code == 422
    assert_novu_error(await api.client.patch("/v1/subscribers/x/online-status", json={"isOnline": True},
                                             headers=api.headers_a), 404)


async def test_novu_1_14_snake_case_channels_round_trip(native_api):
    api = native_api
    body = {"subscriberId": "ada", "email": None, "firstName": None, "lastName": None, "phone": None,
            "avatar": None, "locale": None, "data": None, "channels": [
                {"provider_id": "slack", "_integration_id": "", "integration_identifier": None,
                 "credentials": {"webhook_url": "https://hooks.test/s", "channel": None, "device_tokens": None}},
                {"provider_id": "expo", "_integration_id": "", "integration_identifier": "expo-main",
                 "credentials": {"webhook_url": None, "channel": None, "device_tokens": ["t1"]}},
            ]}
    created = await create(api, body)
    assert [(c["providerId"], c.get("integrationIdentifier")) for c in created["channels"]] == [
        ("slack", None), ("expo", "expo-main")
    ]
    assert created["channels"][0]["credentials"]["webhookUrl"] == "https://hooks.test/s"
    # get -> put as novu 1.14 does it: the same entries come back, snake_case, and change nothing.
    put = await api.client.put("/v1/subscribers/ada", json=body, headers=api.headers_a)
    assert put.status_code == 200 and put.json()["data"]["channels"] == created["channels"]
    async with api.sessions() as session:
        row = await subscriber_store.get(session=session, environment_id=api.tenancy.env_a.id, subscriber_id="ada")
    assert row is not None and row.channels == [
        {"providerId": "slack", "credentials": {"webhookUrl": "https://hooks.test/s"}},
        {"providerId": "expo", "integrationIdentifier": "expo-main", "credentials": {"deviceTokens": ["t1"]}},
    ]


async def test_unstorable_values_are_422_not_500(native_api):
    api = native_api
    for body in ({"subscriberId": "a\x00b"}, {"subscriberId": "a", "data": {"k": "nul\x00"}},
                 {"subscriberId": "a", "firstName": "x" * 256}, {"subscriberId": "   "}, {"subscriberId": ""}):
        response = await api.client.post("/v1/subscribers", json=body, headers=api.headers_a)
        assert_novu_error(response, 422)
    nan = await api.client.post("/v2/subscribers", content=b'{"subscriberId": "a", "data": {"x": NaN}}',
                                headers={**api.headers_a, "content-type": "application/json"})
    assert nan.status_code in (400, 422), nan.text


async def test_another_environment_sees_nothing(native_api):
    api = native_api
    await create(api, {"subscriberId": "ada", "firstName": "Ada"})
    b = api.headers_b
    for method, url, body in [
        ("GET", "/v1/subscribers/ada", None), ("GET", "/v2/subscribers/ada", None),
        ("PUT", "/v1/subscribers/ada", {"firstName": "Eve"}), ("PATCH", "/v2/subscribers/ada", {"firstName": "Eve"}),
        ("PUT", "/v1/subscribers/ada/credentials", {"providerId": "slack", "credentials": {"webhookUrl": "x"}}),
        ("PATCH", "/v1/subscribers/ada/credentials", {"providerId": "slack", "credentials": {}}),
        ("DELETE", "/v1/subscribers/ada/credentials/slack", None),
        ("PATCH", "/v1/subscribers/ada/online-status", {"isOnline": True}),
        ("DELETE", "/v1/subscribers/ada", None), ("DELETE", "/v2/subscribers/ada", None),
    ]:
        response = await api.client.request(method, url, json=body, headers=b)
        assert_novu_error(response, 404)
        assert "ada" not in response.json()["message"]
    assert (await search(api, headers=b))["totalCount"] == 0
    assert (await api.client.get("/v1/subscribers", headers=b)).json()["totalCount"] == 0
    # B creating the same subscriberId makes B's own subscriber; A's is untouched.
    theirs = await create(api, {"subscriberId": "ada", "firstName": "Eve"}, headers=b)
    ours = (await get(api, "ada")).json()["data"]
    assert ours["firstName"] == "Ada" and ours["_id"] != theirs["_id"] and ours["isOnline"] is False


async def test_delete_cascades_to_preferences_memberships_and_messages(native_api):
    api = native_api
    created = await create(api, {"subscriberId": "ada"})
    env = api.tenancy.env_a.id
    async with api.sessions() as session, session.begin():
        topic = Topic(environment_id=env, key="news")
        session.add(topic)
        await session.flush()
        pk = uuid.UUID(created["_id"])
        notification = Notification(environment_id=env, transaction_id="tx", workflow_identifier="w",
                                    subscriber_pk=pk, subscriber_id="ada", temporal_workflow_id="t")
        session.add(notification)
        await session.flush()
        session.add(TopicSubscriber(environment_id=env, topic_id=topic.id, subscriber_pk=pk))
        session.add(SubscriberPreference(environment_id=env, subscriber_pk=pk, enabled=False))
        session.add(Message(environment_id=env, idempotency_key="k", notification_id=notification.id,
                            subscriber_pk=pk, subscriber_id="ada", transaction_id="tx", channel="in_app",
                            step_id="s", content="hi"))
    assert (await api.client.delete("/v2/subscribers/ada", headers=api.headers_a)).status_code == 200
    async with api.sessions() as session:
        for model in (TopicSubscriber, SubscriberPreference, Message):
            count = await session.scalar(select(func.count()).select_from(model))
            assert count == 0, model.__name__

