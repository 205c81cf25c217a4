"""Consume, long poll, cursors, purge and retention (event-apis.md §2.5, §2.6; items 23, 24, 26)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from api.workato.long_poll import waiters_of
from store import streams
from store.base import utcnow
from tests.streams.conftest import StreamsApi, serve_streams


async def _batch(api: StreamsApi, topic_id: int, count: int, start: int = 0) -> list[str]:
    response = await api.client.post(f"/api/v1/batch/topics/{topic_id}/publish",
                                     json=[{"n": start + i} for i in range(count)], headers=api.headers)
    return [r["message_id"] for r in response.json()["message_ids"].values()]


async def _until_waiting(api: StreamsApi, topic_id: int) -> None:
    while not waiters_of(api.app).waiting_on(topic_id):
        await asyncio.sleep(0.01)


async def test_reading_starts_at_the_oldest_and_batch_size_is_clamped(streams_api: StreamsApi) -> None:
    api = streams_api
    topic_id = await api.topic("Free", [])
    ids = await _batch(api, topic_id, 60)
    first = (await api.consume(topic_id, batch_size=80)).json()["messages"]
    assert [m["message_id"] for m in first] == ids[:50]
    assert [m["payload"]["n"] for m in first] == list(range(50))
    rest = (await api.consume(topic_id, after_message_id=ids[49], batch_size=20)).json()["messages"]
    assert [m["message_id"] for m in rest] == ids[50:]
    small = (await api.client.post(f"/api/pubsub/topics/{topic_id}/consume/", json={"batch_size": "3"},
                                   headers=api.headers)).json()["messages"]
    assert len(small) == 3

    since = (await api.consume(topic_id, since_time=first[10]["time"], after_message_id=None)).json()["messages"]
    assert since[0]["time"] <= first[10]["time"] and {m["message_id"] for m in since} >= {ids[10]}
    for bad in ({"batch_size": -1}, {"batch_size": 2.5}, {"timeout_secs": -1}, {"since_time": "yesterday"}):
        refused = await api.consume(topic_id, **bad)
        assert refused.status_code == 400 and refused.json()["code"] == "invalid_request", bad
    unknown = await api.consume(topic_id, after_message_id="00000000zzz")
    assert unknown.status_code == 400 and unknown.json()["code"] == "cursor_not_found"
    empty_body = await api.client.post(f"/api/v1/topics/{topic_id}/consume", headers=api.headers)
    assert len(empty_body.json()["messages"]) == 50


async def test_long_poll_times_out_empty_and_ends_on_a_publish(streams_api: StreamsApi) -> None:
    api = streams_api
    drained, busy = await api.topic("Drained", []), await api.topic("Busy", [])
    started = time.monotonic()
    idle = asyncio.create_task(api.consume(drained, timeout_secs=5))
    woken = asyncio.create_task(api.consume(busy, timeout_secs=60))
    await _until_waiting(api, busy)
    published = await api.publish(busy, {"n": 1})
    # Within a second of the publish (the bound here is loose; the wait itself would last 60 s).
    answer = await asyncio.wait_for(woken, 5)
    assert [m["message_id"] for m in answer.json()["messages"]] == [published.json()["message_id"]]
    assert (await idle).json() == {"messages": []}
    assert time.monotonic() - started >= 5


async def test_a_publish_through_another_api_instance_ends_the_wait(streams_api: StreamsApi) -> None:
    api = streams_api
    topic_id = await api.topic("Shared", [])
    # A second app over the same database has a bus of its own: the waiter must notice through the database.
    async with serve_streams(api.sessions, api.tenancy) as other:
        waiting = asyncio.create_task(api.consume(topic_id, timeout_secs=60))
        await _until_waiting(api, topic_id)
        published = await other.publish(topic_id, {"n": 1})
        answer = await asyncio.wait_for(waiting, 5)
    assert answer.json()["messages"][0]["message_id"] == published.json()["message_id"]


async def test_deleting_the_topic_ends_a_wait_with_no_messages(streams_api: StreamsApi) -> None:
    api = streams_api
    topic_id = await api.topic("Doomed", [])
    waiting = asyncio.create_task(api.consume(topic_id, timeout_secs=60))
    await _until_waiting(api, topic_id)
    await api.client.delete(f"/api/event_streams/topics/{topic_id}", headers=api.headers)
    assert (await asyncio.wait_for(waiting, 5)).json() == {"messages": []}
    assert (await api.consume(topic_id)).status_code == 404


async def test_after_a_purge_old_cursors_expire_and_the_last_one_reads_on(streams_api: StreamsApi) -> None:
    api = streams_api
    topic_id = await api.topic("Purged", [])
    ids = await _batch(api, topic_id, 3)
    await api.client.put(f"/api/event_streams/topics/{topic_id}/purge", headers=api.headers)
    expired = await api.consume(topic_id, after_message_id=ids[0])
    assert expired.status_code == 400
    assert expired.json()["code"] == "cursor_expired"
    assert expired.json()["oldest_message_id"] is None and expired.json()["oldest_time"] is None
    assert (await api.consume(topic_id, after_message_id=ids[-1])).json() == {"messages": []}

    [later] = await _batch(api, topic_id, 1)
    assert later > ids[-1]  # ids are never reused
    again = (await api.consume(topic_id, after_message_id=ids[0])).json()
    assert again["code"] == "cursor_expired" and again["oldest_message_id"] == later
    assert [m["message_id"] for m in (await api.consume(topic_id, after_message_id=ids[-1])).json()["messages"]] \
        == [later]


async def test_retention_hides_at_once_and_the_sweep_deletes_a_prefix(streams_api: StreamsApi) -> None:
    api = streams_api
    topic_id = await api.topic("Short", [], retention=3600)
    old = utcnow() - timedelta(hours=2)
    async with api.sessions() as session:
        await streams.append(session=session, environment_id=api.tenancy.env_a.id, topic_id=topic_id,
                             payloads=[{"n": 0}, {"n": 1}], now=old)
        await session.commit()
    [fresh] = await _batch(api, topic_id, 1, start=2)
    visible = (await api.consume(topic_id)).json()["messages"]
    assert [m["payload"]["n"] for m in visible] == [2]
    expired = (await api.consume(topic_id, after_message_id=streams.encode_id(1))).json()
    assert expired["code"] == "cursor_expired" and expired["oldest_message_id"] == fresh
    # The last expired message is a valid cursor: nothing after it was lost.
    assert (await api.consume(topic_id, after_message_id=streams.encode_id(2))).json()["messages"][0]["message_id"] \
        == fresh

    async with api.sessions() as session:
        assert await streams.sweep_expired(session=session, now=utcnow()) == 2
        await session.commit()
        topic = await streams.get_topic(session=session, environment_id=api.tenancy.env_a.id, topic_id=topic_id)
    assert topic is not None and topic.deleted_through_seq == 2
    assert (await api.consume(topic_id, after_message_id=streams.encode_id(1))).json()["code"] == "cursor_expired"
