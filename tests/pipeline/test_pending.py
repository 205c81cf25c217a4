"""Waiting runs under control: pending delays and digests listed, cancelled and fast-forwarded."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError

from tests.pipeline.conftest import Pipeline
from tests.pipeline.flow_helpers import create_workflow, digest_done, inbox, trigger

HOUR = {"name": "Wait", "type": "delay", "controlValues": {"type": "regular", "amount": 1, "unit": "hours"}}


async def pending(p: Pipeline, want: int, **scope: str) -> dict[str, Any]:
    """The pending list, once it shows ``want`` items (visibility is eventually consistent)."""
    for _ in range(100):
        response = await p.client.get("/v1/events/pending", params=scope, headers=p.headers)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        if len(data["delays"]) + len(data["digests"]) >= want:
            return data
        await asyncio.sleep(0.1)
    raise AssertionError(f"pending never listed {want} items: {data}")


async def act(p: Pipeline, action: str, **scope: str) -> dict[str, Any]:
    response = await p.client.post(f"/v1/events/pending/{action}", json=scope, headers=p.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def contents(p: Pipeline, subscriber_id: str) -> list[str]:
    return sorted(m.content for m in await p.messages(subscriber_id=subscriber_id))


async def test_delays_of_a_subscriber_are_listed_cancelled_and_fast_forwarded(pipeline: Pipeline) -> None:
    second = {**inbox("second"), "name": "Inbox 2"}
    await create_workflow(pipeline, "later", [inbox("first"), HOUR, second])
    await trigger(pipeline, "later", "tx-a", {}, to="ada")
    await trigger(pipeline, "later", "tx-b", {}, to=["ada", "bob"])
    await trigger(pipeline, "later", "tx-c", {}, to="bob")
    for _ in range(100):  # every run has sent "first" and sits in its delay
        if len(await pipeline.messages()) == 4:
            break
        await asyncio.sleep(0.05)
    listed = await pending(pipeline, 2, subscriberId="ada")
    by_tx = {d["transactionId"]: d for d in listed["delays"]}
    assert sorted(by_tx) == ["tx-a", "tx-b"] and listed["digests"] == []
    assert (by_tx["tx-a"]["shared"], by_tx["tx-b"]["shared"]) == (False, True)
    assert by_tx["tx-b"]["subscriberIds"] == ["ada", "bob"] and by_tx["tx-b"]["stepId"] == "wait"
    assert by_tx["tx-a"]["plannedEnd"] > by_tx["tx-a"]["startedAt"]

    done = await act(pipeline, "cancel", subscriberId="ada")
    assert {d["transactionId"]: d["outcome"] for d in done["delays"]} == {
        "tx-a": "cancelled", "tx-b": "cancelled_for_subscriber"}
    with pytest.raises(WorkflowFailureError):
        await pipeline.finish("tx-a")
    forwarded = await act(pipeline, "fast-forward", subscriberId="bob")
    assert sorted((d["transactionId"], d["outcome"]) for d in forwarded["delays"]) == [
        ("tx-b", "fast_forwarded"), ("tx-c", "fast_forwarded")]
    await pipeline.finish("tx-b")
    await pipeline.finish("tx-c")
    assert await contents(pipeline, "ada") == ["first", "first"]  # erased: nothing after the cancel
    assert await contents(pipeline, "bob") == ["first", "first", "second", "second"]
    assert (await pending(pipeline, 0, subscriberId="bob"))["delays"] == []


async def test_digests_of_a_workflow_are_cancelled_for_one_subscriber_and_fast_forwarded(pipeline: Pipeline) -> None:
    digest = {"name": "Digest", "type": "digest", "controlValues": {"amount": 1, "unit": "hours"}}
    wf = await create_workflow(pipeline, "comments", [digest, inbox("{{ step.total_count }} new")])
    for tx, who in (("tx-d1", "ada"), ("tx-d2", "ada"), ("tx-d3", "bob")):
        await trigger(pipeline, "comments", tx, {}, to=who)
        await pipeline.finish(tx)
    listed = await pending(pipeline, 3, workflowId="comments")
    assert sorted((d["transactionId"], d["subscriberId"]) for d in listed["digests"]) == [
        ("tx-d1", "ada"), ("tx-d2", "ada"), ("tx-d3", "bob")]
    cancelled = await act(pipeline, "cancel", subscriberId="ada")
    assert [d["outcome"] for d in cancelled["digests"]] == ["cancelled", "cancelled"]
    forwarded = await act(pipeline, "fast-forward", workflowId="comments")
    assert [(d["subscriberId"], d["outcome"]) for d in forwarded["digests"]] == [("bob", "fast_forwarded")]
    outcome = await digest_done(pipeline, wf, "digest", subscriber_id="bob")
    assert outcome.sent_events == 1
    assert await contents(pipeline, "bob") == ["1 new"]
    await act(pipeline, "fast-forward", subscriberId="ada")  # nothing pending for ada any more
    assert await contents(pipeline, "ada") == []


async def test_pending_needs_exactly_one_scope(pipeline: Pipeline) -> None:
    for params in ({}, {"subscriberId": "ada", "tenant": "acme"}, {"subscriberId": "it's"}):
        response = await pipeline.client.get("/v1/events/pending", params=params, headers=pipeline.headers)
        assert response.status_code == 400, response.text
        assert response.json()["errors"]
