"""Concurrent publishers and a cursor-following consumer: every message exactly once, in id order (item 25)."""

from __future__ import annotations

import asyncio
import random

from tests.streams.conftest import StreamsApi

PUBLISHERS = 4
PER_PUBLISHER = 500


async def _publisher(api: StreamsApi, topic_id: int, who: int) -> None:
    """Singles and batches of 1 to 40, mixed, so batch and single appends interleave."""
    rng = random.Random(who)
    sent = 0
    while sent < PER_PUBLISHER:
        size = min(rng.choice([1, 1, 7, 25, 40]), PER_PUBLISHER - sent)
        payloads = [{"who": who, "n": sent + i} for i in range(size)]
        if size == 1:
            response = await api.publish(topic_id, payloads[0])
        else:
            response = await api.client.post(f"/api/v1/batch/topics/{topic_id}/publish", json=payloads,
                                             headers=api.headers)
        assert response.status_code == 200, response.text
        sent += size


async def _consumer(api: StreamsApi, topic_id: int, total: int) -> list[dict[str, object]]:
    received: list[dict[str, object]] = []
    cursor: str | None = None
    while len(received) < total:
        body: dict[str, object] = {"batch_size": 50, "timeout_secs": 2}
        if cursor is not None:
            body["after_message_id"] = cursor
        response = await api.consume(topic_id, **body)
        assert response.status_code == 200, response.text
        batch = response.json()["messages"]
        assert len(batch) <= 50
        received += batch
        if batch:
            cursor = batch[-1]["message_id"]
    return received


async def test_four_publishers_and_a_following_consumer(streams_api: StreamsApi) -> None:
    api = streams_api
    topic_id = await api.topic("Busy", [{"name": "who", "type": "integer", "optional": False}])
    total = PUBLISHERS * PER_PUBLISHER
    consumer = asyncio.create_task(_consumer(api, topic_id, total))
    await asyncio.gather(*(_publisher(api, topic_id, who) for who in range(PUBLISHERS)))
    received = await asyncio.wait_for(consumer, 120)

    ids = [str(m["message_id"]) for m in received]
    assert len(received) == total
    assert ids == sorted(ids) and len(set(ids)) == total  # strictly increasing: no repeat, publish order
    pairs = {(m["payload"]["who"], m["payload"]["n"]) for m in received}  # type: ignore[index]
    assert pairs == {(who, n) for who in range(PUBLISHERS) for n in range(PER_PUBLISHER)}
    for who in range(PUBLISHERS):  # each publisher's own messages keep their order
        mine = [m["payload"]["n"] for m in received if m["payload"]["who"] == who]  # type: ignore[index]
        assert mine == sorted(mine)
    times = [str(m["time"]) for m in received]
    assert times == sorted(times)
