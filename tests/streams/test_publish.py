"""Publish and batch publish (event-apis.md §2.4; checklist items 21 and 22)."""

from __future__ import annotations

import asyncio
import json

from store import streams
from store.realtime import RealtimeEvent
from tests.streams.conftest import StreamsApi


async def test_schema_violations_and_conversions(streams_api: StreamsApi) -> None:
    api = streams_api
    topic_id = await api.topic()
    missing = await api.publish(topic_id, {"Quantity": 1})
    assert missing.status_code == 400
    assert missing.json()["code"] == "schema_violation"
    assert missing.json()["details"] == [{"field": "OrderId", "message": "is required"}]
    nested = await api.publish(topic_id, {"OrderId": "1", "Items": [{"Sku": "a"}, {"Sku": "b"}, {}]})
    assert nested.json()["details"] == [{"field": "Items[2].Sku", "message": "is required"}]

    stored = await api.publish(topic_id, {"OrderId": 12.5, "Quantity": "12", "Extra": True})
    assert stored.status_code == 200
    assert stored.json()["message_id"] == "00000000001"
    [message] = (await api.consume(topic_id)).json()["messages"]
    assert message["payload"] == {"OrderId": "12.5", "Quantity": 12, "Extra": True}

    not_an_object = await api.publish(topic_id, [1])  # type: ignore[arg-type]
    assert not_an_object.status_code == 400 and not_an_object.json()["code"] == "schema_violation"


async def test_batches_report_each_index(streams_api: StreamsApi) -> None:
    api = streams_api
    topic_id = await api.topic()
    url = f"/api/v1/batch/topics/{topic_id}/publish"
    too_many = await api.client.post(url, json={"payloads": [{"OrderId": str(i)} for i in range(101)]},
                                     headers=api.headers)
    assert too_many.status_code == 400 and too_many.json()["code"] == "invalid_request"
    empty = await api.client.post(url + "/", json={"payloads": []}, headers=api.headers)
    assert empty.status_code == 400
    assert (await api.consume(topic_id)).json() == {"messages": []}

    huge = {"OrderId": "x" * (1024 * 1024)}
    mixed = await api.client.post(url, json={"payloads": [{"OrderId": "a"}, {"Quantity": 1}, huge, {"OrderId": "b"}]},
                                  headers=api.headers)
    assert mixed.status_code == 200
    body = mixed.json()
    assert body["is_partial_error"] is True
    results = body["message_ids"]
    assert results["0"] == {"message_id": "00000000001", "result": "success"}
    assert results["3"] == {"message_id": "00000000002", "result": "success"}  # consecutive ids
    assert results["1"]["result"] == "error" and results["1"]["details"][0]["field"] == "OrderId"
    assert results["2"]["result"] == "error" and "larger" in results["2"]["error"]
    # 360 kB in the body, past 1 MiB once stored with \u escapes: still measured and refused.
    escaped = json.dumps({"payloads": [{"OrderId": "é" * 180_000}]}, ensure_ascii=False).encode()
    refused_item = await api.client.post(url, content=escaped, headers={**api.headers,
                                                                         "Content-Type": "application/json"})
    assert refused_item.json()["message_ids"]["0"]["result"] == "error", refused_item.text

    bare = await api.client.post(url, json=[{"OrderId": "c"}], headers=api.headers)
    assert bare.json() == {"is_partial_error": False,
                           "message_ids": {"0": {"message_id": "00000000003", "result": "success"}}}
    consumed = (await api.consume(topic_id)).json()["messages"]
    assert [m["payload"]["OrderId"] for m in consumed] == ["a", "b", "c"]


async def test_size_limits(streams_api: StreamsApi) -> None:
    api = streams_api
    topic_id = await api.topic("Free", [])
    over_one_mib = await api.client.post(f"/api/v1/topics/{topic_id}/publish",
                                         content=json.dumps({"a": "x" * (1024 * 1024)}), headers=api.headers)
    assert over_one_mib.status_code == 413 and over_one_mib.json()["code"] == "payload_too_large"
    # Nine messages of just under 1 MiB each: over the 5 MiB default, under the 10 MiB batch limit.
    nine = [{"a": "x" * (1024 * 1024 - 100)} for _ in range(9)]
    accepted = await api.client.post(f"/api/v1/batch/topics/{topic_id}/publish", json=nine, headers=api.headers)
    assert accepted.status_code == 200 and accepted.json()["is_partial_error"] is False
    eleven = nine + nine[:2]
    refused = await api.client.post(f"/api/v1/batch/topics/{topic_id}/publish", json=eleven, headers=api.headers)
    assert refused.status_code == 413 and refused.json()["code"] == "payload_too_large"


async def test_idempotency_key_is_per_topic(streams_api: StreamsApi) -> None:
    api = streams_api
    first, second = await api.topic("One", []), await api.topic("Two", [])
    keyed = {**api.headers, "Idempotency-Key": "k-1"}
    a = await api.client.post(f"/api/v1/topics/{first}/publish", json={"n": 1}, headers=keyed)
    again = await api.client.post(f"/api/v1/topics/{first}/publish", json={"n": 1}, headers=keyed)
    other_topic = await api.client.post(f"/api/v1/topics/{second}/publish", json={"n": 1}, headers=keyed)
    assert a.status_code == again.status_code == other_topic.status_code == 200
    assert again.json() == a.json() and again.headers.get("Idempotency-Replay") == "true"
    assert len((await api.consume(first)).json()["messages"]) == 1
    assert len((await api.consume(second)).json()["messages"]) == 1


async def test_each_stored_message_is_published_on_the_bus(streams_api: StreamsApi) -> None:
    api = streams_api
    seen: list[RealtimeEvent] = []
    arrived = asyncio.Event()

    async def listen(event: RealtimeEvent) -> None:
        seen.append(event)
        arrived.set()

    api.app.state.services.bus.subscribe(listen)
    topic_id = await api.topic()
    message_id = (await api.publish(topic_id, {"OrderId": "1"})).json()["message_id"]
    await asyncio.wait_for(arrived.wait(), 10)
    [event] = [e for e in seen if e.type == "stream.message.published"]
    assert event.message == "STREAM_MESSAGE_PUBLISHED" and event.env == str(api.tenancy.env_a.id)
    assert event.body["topic_id"] == topic_id and event.body["topic_name"] == "Orders"
    assert event.body["message_id"] == message_id and event.body["payload"] == {"OrderId": "1"}
    assert event.body["time"].endswith("+00:00")


async def test_concurrent_single_publishes_each_get_the_id_of_their_own_message(streams_api: StreamsApi) -> None:
    """Concurrent publishes to a topic share appends (api/workato/appends.py): each answer must still name
    its own message, and the ids run without gaps in publish order."""
    api = streams_api
    topic_id = await api.topic()
    responses = await asyncio.gather(*(api.publish(topic_id, {"OrderId": f"o-{i}"}) for i in range(40)))
    assert [r.status_code for r in responses] == [200] * 40
    answered = {r.json()["message_id"]: f"o-{i}" for i, r in enumerate(responses)}
    stored = (await api.consume(topic_id, batch_size=50)).json()["messages"]
    assert {m["message_id"]: m["payload"]["OrderId"] for m in stored} == answered
    assert sorted(answered) == [streams.encode_id(n) for n in range(1, 41)]
