"""Workato Developer API for topics (event-apis.md §2.3; checklist items 19 and 20)."""

from __future__ import annotations

import asyncio

import pytest

from core.settings import Settings
from store import workflows as workflow_store
from tests.streams.conftest import SCHEMA, StreamsApi, serve_streams

TOPICS = "/api/event_streams/topics"


async def test_create_requires_a_schema_and_defaults_the_retention(streams_api: StreamsApi) -> None:
    api = streams_api
    missing = await api.client.post(TOPICS, json={"name": "No schema"}, headers=api.headers)
    assert missing.status_code == 400
    body = missing.json()
    assert body["error"] == body["message"] and "schema" in body["message"]
    assert body["code"] == "invalid_request"

    created = await api.client.post(TOPICS, json={"name": "Orders", "schema": SCHEMA}, headers=api.headers)
    assert created.status_code == 200
    topic = created.json()["data"]
    assert topic["retention"] == 604800
    assert topic["schema"][1] == {"name": "Quantity", "type": "integer", "optional": True, "label": "Quantity",
                                  "control_type": "integer"}
    assert topic["created_at"].endswith("+00:00") and len(topic["created_at"].split(".")[1]) == 9

    too_long = await api.client.post(TOPICS, json={"name": "Long", "schema": [], "retention": 7_776_001},
                                     headers=api.headers)
    assert too_long.status_code == 400 and too_long.json()["code"] == "invalid_request"
    bad_type = await api.client.post(TOPICS, json={"name": "T", "schema": [{"name": "x", "type": "uuid"}]},
                                     headers=api.headers)
    assert bad_type.status_code == 400 and bad_type.json()["details"][0]["field"] == "schema[0].type"


async def test_the_21st_topic_is_refused_unless_the_limit_is_raised(
    streams_api: StreamsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = streams_api
    for n in range(20):
        await api.topic(f"t{n}", [])
    refused = await api.client.post(TOPICS, json={"name": "t20", "schema": []}, headers=api.headers)
    assert refused.status_code == 400 and refused.json()["code"] == "topic_limit_reached"
    # Environment B has its own allowance.
    other = await api.client.post(TOPICS, json={"name": "t20", "schema": []}, headers={
        "Authorization": f"Bearer {api.tenancy.key_b}"})
    assert other.status_code == 200

    monkeypatch.setenv("CLARION_STREAMS_MAX_TOPICS", "25")
    monkeypatch.setenv("CLARION_MODE", "dev")
    async with serve_streams(api.sessions, api.tenancy, Settings()) as raised:
        accepted = await raised.client.post(TOPICS, json={"name": "t20", "schema": []}, headers=raised.headers)
    assert accepted.status_code == 200, accepted.text


async def test_list_filters_sorts_pages_and_includes_schemas_on_request(streams_api: StreamsApi) -> None:
    api = streams_api
    order_b = await api.topic("Order shipped", SCHEMA)
    order_a = await api.topic("Order placed", SCHEMA)
    await api.topic("order lowercase", [])
    await api.publish(order_b, {"OrderId": "1"})

    listed = await api.client.get(TOPICS, params={"name": "Order", "sort": "name", "include_schema": "true"},
                                  headers=api.headers)
    assert listed.status_code == 200
    assert listed.json()["count"] == 2
    assert [t["id"] for t in listed.json()["data"]] == [order_a, order_b]
    assert all("schema" in t for t in listed.json()["data"])

    by_activity = (await api.client.get(TOPICS + "/", params={"sort": "activity"}, headers=api.headers)).json()
    assert by_activity["data"][0]["id"] == order_b and "schema" not in by_activity["data"][0]
    paged = (await api.client.get(TOPICS, params={"page": 2, "per_page": 2}, headers=api.headers)).json()
    assert paged["count"] == 3 and len(paged["data"]) == 1
    bad = await api.client.get(TOPICS, params={"per_page": 101}, headers=api.headers)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_request"


async def test_get_update_purge_delete_with_both_slash_forms(streams_api: StreamsApi) -> None:
    api = streams_api
    topic_id = await api.topic("Orders", SCHEMA, retention=7200, description="d")
    url = f"{TOPICS}/{topic_id}"
    assert (await api.client.get(url + "/", headers=api.headers)).json()["data"]["retention"] == 7200

    # Query parameters work too, and the body wins over them; left-out fields keep their values.
    updated = await api.client.put(url, params={"name": "From query", "description": "q"},
                                   json={"description": "From body"}, headers=api.headers)
    assert updated.status_code == 200
    data = updated.json()["data"]
    assert (data["name"], data["description"], data["retention"]) == ("From query", "From body", 7200)
    assert data["schema"] == (await api.client.get(url, headers=api.headers)).json()["data"]["schema"]

    clash = await api.topic("Other", [])
    taken = await api.client.put(f"{TOPICS}/{clash}/", json={"name": "From query"}, headers=api.headers)
    assert taken.status_code == 400 and taken.json()["code"] == "name_taken"

    assert (await api.publish(topic_id, {"OrderId": "1"})).status_code == 200
    purged = await api.client.post(url + "/purge/", headers=api.headers)
    assert purged.json() == {"data": {"status": "success"}}
    assert (await api.consume(topic_id)).json() == {"messages": []}

    deleted = await api.client.delete(url + "/", headers=api.headers)
    assert deleted.status_code == 200 and deleted.json() == {"data": {"status": "success"}}
    gone = await api.client.get(url, headers=api.headers)
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"
    assert gone.json()["error"] == gone.json()["message"]


async def test_scopes_environments_and_malformed_requests(streams_api: StreamsApi) -> None:
    api = streams_api
    topic_id = await api.topic()
    publish_only = await api.key("topic:publish")
    refused = await api.client.get(TOPICS, headers=publish_only)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert (await api.client.post(f"/api/v1/topics/{topic_id}/consume", headers=publish_only)).status_code == 403
    manage = await api.key("topic:manage")
    assert (await api.client.get(TOPICS, headers=manage)).status_code == 200

    unauthorized = await api.client.get(TOPICS)
    assert unauthorized.status_code == 401 and unauthorized.json()["code"] == "unauthorized"
    other_env = await api.client.get(f"{TOPICS}/{topic_id}", headers={"Authorization": f"Bearer {api.tenancy.key_b}"})
    assert other_env.status_code == 404
    not_a_number = await api.client.get(f"{TOPICS}/abc", headers=api.headers)
    assert not_a_number.status_code == 404 and not_a_number.json()["code"] == "not_found"

    malformed = await api.client.post(TOPICS, content=b"{nope", headers={**api.headers, "Content-Type": "text/plain"})
    assert malformed.status_code == 400 and malformed.json()["code"] == "invalid_request"
    as_text = await api.client.post(TOPICS, content=b'{"name": "Plain", "schema": []}',
                                    headers={**api.headers, "Content-Type": "text/plain"})
    assert as_text.status_code == 200
    wrong_retention = await api.client.post(TOPICS, json={"name": "R", "schema": [], "retention": "soon"},
                                            headers=api.headers)
    assert wrong_retention.status_code == 400 and "details" in wrong_retention.json()


async def test_event_type_must_name_a_workflow_of_the_environment(streams_api: StreamsApi) -> None:
    api = streams_api
    unknown = await api.client.post(TOPICS, json={"name": "E", "schema": [], "event_type": "order.placed"},
                                    headers=api.headers)
    assert unknown.status_code == 400 and unknown.json()["details"][0]["field"] == "event_type"
    async with api.sessions() as session, session.begin():
        await workflow_store.upsert(session=session, environment_id=api.tenancy.env_a.id, identifier="order.placed",
                                    values={"name": "Order placed", "steps": []})
    known = await api.client.post(TOPICS, json={"name": "E", "schema": [], "event_type": "order.placed"},
                                  headers=api.headers)
    assert known.status_code == 200 and known.json()["data"]["event_type"] == "order.placed"


async def test_the_topic_limit_holds_under_concurrent_creates(
    streams_api: StreamsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLARION_STREAMS_MAX_TOPICS", "3")
    monkeypatch.setenv("CLARION_MODE", "dev")
    async with serve_streams(streams_api.sessions, streams_api.tenancy, Settings()) as api:
        answers = await asyncio.gather(*(
            api.client.post(TOPICS, json={"name": f"c{n}", "schema": []}, headers=api.headers) for n in range(8)
        ))
        statuses = sorted(r.status_code for r in answers)
        listed = await api.client.get(TOPICS, headers=api.headers)
    assert statuses == [200] * 3 + [400] * 5, [r.text for r in answers]
    assert all(r.json()["code"] == "topic_limit_reached" for r in answers if r.status_code == 400)
    assert listed.json()["count"] == 3
