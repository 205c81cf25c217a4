"""Digest steps on the dev server: one digest per group, keys never merge, cancel, look-back, chains."""

from __future__ import annotations

from typing import Any

from activities.digest import group_id
from tests.pipeline.conftest import Pipeline
from tests.pipeline.flow_helpers import create_workflow, details, digest_done, inbox, trigger_all

# Liquid (the default of a step saved through the v2 routes): digest events in Novu's shape, {payload: …}.
SUMMARY = "{{ step.total_count }}: {% for e in step.events %}{{ e.payload.n }};{% endfor %} key={{ step.digest_key }}"


def digest(**controls: Any) -> dict[str, Any]:
    return {"name": "Digest", "type": "digest", "controlValues": controls}


async def test_ten_events_in_the_same_second_make_exactly_one_digest_of_ten(pipeline: Pipeline) -> None:
    wf = await create_workflow(pipeline, "comments", [digest(amount=2, unit="seconds"), inbox(SUMMARY)])
    results = await trigger_all(pipeline, "comments", {f"tx-c{i}": {"n": i} for i in range(10)})
    assert [r.sent for r in results] == [0] * 10
    assert all(r.notes == ["step 'digest': merged 1 recipient(s) into digests"] for r in results)
    outcome = await digest_done(pipeline, wf, "digest")
    assert (outcome.events, outcome.sent_events) == (10, 10)
    [message] = await pipeline.messages(subscriber_id="ada", channel="in_app")
    count, events, key = message.content.split(" ")[0], message.content.split(" ")[1], message.content.split(" ")[2]
    assert count == "10:" and sorted(int(n) for n in events.strip(";").split(";")) == list(range(10))
    assert key == "key="
    merged = await details(pipeline, transaction_id="tx-c3", step_id="digest")
    group = group_id(str(pipeline.tenancy.env_a.id), wf["_id"], "ada", "digest", None)
    assert [d.detail for d in merged] == [f"Merged into digest {group}"]


async def test_digest_keys_a_b_a_make_two_digests(pipeline: Pipeline) -> None:
    wf = await create_workflow(pipeline, "posts", [digest(amount=2, unit="seconds", digestKey="post"), inbox(SUMMARY)])
    await trigger_all(pipeline, "posts", {"tx-a1": {"n": 1, "post": "A"}, "tx-b1": {"n": 2, "post": "B"},
                                          "tx-a2": {"n": 3, "post": "A"}})
    a = await digest_done(pipeline, wf, "digest", key="A")
    b = await digest_done(pipeline, wf, "digest", key="B")
    assert (a.sent_events, b.sent_events) == (2, 1)
    contents = sorted(m.content for m in await pipeline.messages(subscriber_id="ada", channel="in_app"))
    assert len(contents) == 2
    assert contents[0].startswith("1: 2; key=B")
    assert contents[1].startswith("2: ") and contents[1].endswith("key=A")
    assert sorted(contents[1].split(" ")[1].strip(";").split(";")) == ["1", "3"]


async def test_cancel_of_one_of_three_digested_events_sends_a_digest_of_two(pipeline: Pipeline) -> None:
    wf = await create_workflow(pipeline, "comments", [digest(amount=3, unit="seconds"), inbox(SUMMARY)])
    await trigger_all(pipeline, "comments", {f"tx-k{i}": {"n": i} for i in range(3)})
    response = await pipeline.client.delete("/v1/events/trigger/tx-k1", headers=pipeline.headers)
    assert (response.status_code, response.json()) == (200, {"data": True})
    outcome = await digest_done(pipeline, wf, "digest")
    assert (outcome.events, outcome.sent_events, outcome.dropped_transactions) == (3, 2, ["tx-k1"])
    [message] = await pipeline.messages(subscriber_id="ada", channel="in_app")
    assert message.content.startswith("2: ")
    assert sorted(message.content.split(" ")[1].strip(";").split(";")) == ["0", "2"]


async def test_cancel_of_the_only_digested_event_sends_nothing(pipeline: Pipeline) -> None:
    wf = await create_workflow(pipeline, "comments", [digest(amount=2, unit="seconds"), inbox(SUMMARY)])
    await trigger_all(pipeline, "comments", {"tx-only": {"n": 1}})
    response = await pipeline.client.delete("/v1/events/trigger/tx-only", headers=pipeline.headers)
    assert response.json() == {"data": True}
    outcome = await digest_done(pipeline, wf, "digest")
    assert (outcome.events, outcome.sent_events, outcome.run_id) == (1, 0, None)
    assert await pipeline.messages(subscriber_id="ada") == []
    again = await pipeline.client.delete("/v1/events/trigger/tx-only", headers=pipeline.headers)
    assert again.json() == {"data": False}


async def test_look_back_sends_a_lone_event_at_once_and_digests_the_next(pipeline: Pipeline) -> None:
    wf = await create_workflow(pipeline, "alerts", [
        digest(type="backoff", amount=2, unit="seconds", lookBackWindow={"amount": 1, "unit": "minutes"}),
        inbox(SUMMARY),
    ])
    [first] = await trigger_all(pipeline, "alerts", {"tx-l1": {"n": 1}})
    assert first.sent == 1  # nothing came within the look-back window: sent at once, alone
    [alone] = await pipeline.messages(subscriber_id="ada", channel="in_app")
    assert alone.content == "1: 1; key="
    later = await trigger_all(pipeline, "alerts", {"tx-l2": {"n": 2}, "tx-l3": {"n": 3}})
    assert [r.sent for r in later] == [0, 0]
    outcome = await digest_done(pipeline, wf, "digest")
    assert outcome.sent_events == 2
    messages = await pipeline.messages(subscriber_id="ada", channel="in_app")
    assert len(messages) == 2 and messages[1].content.startswith("2: ")


async def test_two_digest_steps_chain_and_the_second_sees_every_event(pipeline: Pipeline) -> None:
    """README: a second digest collects the first one's digests; its step.events is all their events."""
    wf = await create_workflow(pipeline, "chain", [
        {"name": "Fast", "type": "digest", "controlValues": {"amount": 1, "unit": "seconds"}},
        {"name": "Slow", "type": "digest", "controlValues": {"amount": 6, "unit": "seconds"}},
        inbox(SUMMARY),
    ])
    await trigger_all(pipeline, "chain", {"tx-f1": {"n": 1}, "tx-f2": {"n": 2}})
    first = await digest_done(pipeline, wf, "fast")  # the first fast digest is sent on to the slow one
    assert first.sent_events == 2
    await trigger_all(pipeline, "chain", {"tx-f3": {"n": 3}})  # a second fast digest, same slow window
    assert (await digest_done(pipeline, wf, "fast")).sent_events == 1
    slow = await digest_done(pipeline, wf, "slow")
    assert slow.sent_events == 2  # two fast digests ...
    [message] = await pipeline.messages(subscriber_id="ada", channel="in_app")
    assert message.content.startswith("3: ")  # ... of three events in all
    assert sorted(message.content.split(" ")[1].strip(";").split(";")) == ["1", "2", "3"]


async def test_a_condition_after_a_digest_reads_the_first_events_payload(pipeline: Pipeline) -> None:
    """README: the steps after a digest run once, with the payload of the digest's first event."""
    wf = await create_workflow(pipeline, "gated", [
        digest(amount=2, unit="seconds", digestKey="room"),
        inbox(SUMMARY, conditions={"field": "payload.urgent", "op": "=", "value": True}),
    ])
    await trigger_all(pipeline, "gated", {"tx-g1": {"n": 1, "room": "x", "urgent": False}})
    await trigger_all(pipeline, "gated", {"tx-g2": {"n": 2, "room": "x", "urgent": True},
                                          "tx-g3": {"n": 3, "room": "y", "urgent": True}})
    await trigger_all(pipeline, "gated", {"tx-g4": {"n": 4, "room": "y", "urgent": False}})
    x = await digest_done(pipeline, wf, "digest", key="x")
    y = await digest_done(pipeline, wf, "digest", key="y")
    assert (x.sent_events, y.sent_events) == (2, 2)
    [message] = await pipeline.messages(subscriber_id="ada", channel="in_app")
    assert message.content.startswith("2: ") and message.content.endswith("key=y")
    skipped = await details(pipeline, transaction_id="tx-g1:digest:digest", step_id="inbox")
    assert [d.detail for d in skipped] == ["Step skipped: condition not met: payload.urgent = True is false"]


async def test_bad_digest_controls_are_a_400_naming_the_step(pipeline: Pipeline) -> None:
    body = {"name": "Bad", "workflowId": "bad", "steps": [digest(type="timed", cron="61 * * * *"), inbox("x")]}
    response = await pipeline.client.post("/v2/workflows", json=body, headers=pipeline.headers)
    assert response.status_code == 400, response.text
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert 'step "digest"' in errors["steps[0].controlValues.cron"] and "'61'" in errors["steps[0].controlValues.cron"]
