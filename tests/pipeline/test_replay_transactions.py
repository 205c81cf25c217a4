"""Replay a past transaction against the current or the original workflow definition; versions."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.pipeline.conftest import Pipeline
from tests.pipeline.flow_helpers import create_workflow, inbox


async def replay(p: Pipeline, tx: str, body: dict[str, Any] | None = None, status: int = 201) -> dict[str, Any]:
    response = await p.client.post(f"/v1/events/trigger/{tx}/replay", json=body, headers=p.headers)
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()
    return data["data"] if status == 201 else data


async def versions(p: Pipeline, workflow: str) -> list[dict[str, Any]]:
    response = await p.client.get(f"/v2/workflows/{workflow}/versions", headers=p.headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


async def explain(p: Pipeline, tx: str) -> dict[str, Any]:
    response = await p.client.get("/v1/notifications/explain", params={"transactionId": tx}, headers=p.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_replay_against_the_current_and_the_original_definition(pipeline: Pipeline) -> None:
    created = await create_workflow(pipeline, "news", [inbox("v1 {{ payload.n }} from {{ actor.subscriberId }}")])
    assert [(v["version"], v["current"]) for v in await versions(pipeline, "news")] == [(1, True)]
    event = {"name": "news", "to": ["ada", "bob"], "payload": {"n": 5}, "actor": "zed", "transactionId": "tx-orig"}
    assert (await pipeline.trigger(event)).status_code == 201
    await pipeline.finish("tx-orig")
    step = created["steps"][0]
    put = await pipeline.client.put("/v2/workflows/news", headers=pipeline.headers, json={"name": "News", "steps": [
        {"_id": step["_id"], "name": step["name"], "type": "in_app",
         "controlValues": {"body": "v2 {{ payload.n }} from {{ actor.subscriberId }}"}}]})
    assert put.status_code == 200, put.text
    listed = await versions(pipeline, "news")
    assert [(v["version"], v["current"]) for v in listed] == [(2, True), (1, False)]
    assert listed[1]["definition"]["steps"][0]["controls"]["body"].startswith("v1")
    assert await versions(pipeline, created["_id"]) == listed  # by database id too

    now = await replay(pipeline, "tx-orig")
    assert (now["replayOf"], now["definition"], now["workflowVersion"]) == ("tx-orig", "current", 2)
    await pipeline.finish(now["transactionId"])
    then = await replay(pipeline, "tx-orig", {"definition": "original", "transactionId": "tx-again"})
    assert (then["transactionId"], then["workflowVersion"]) == ("tx-again", 1)
    await pipeline.finish("tx-again")

    contents = {m.transaction_id: sorted((m.subscriber_id, m.content) for m in await pipeline.messages(
        transaction_id=m.transaction_id)) for m in await pipeline.messages()}
    assert contents == {
        "tx-orig": [("ada", "v1 5 from zed"), ("bob", "v1 5 from zed")],
        now["transactionId"]: [("ada", "v2 5 from zed"), ("bob", "v2 5 from zed")],
        "tx-again": [("ada", "v1 5 from zed"), ("bob", "v1 5 from zed")],
    }
    feed = await pipeline.client.get("/v1/notifications", params={"transactionId": "tx-again"},
                                     headers=pipeline.headers)
    assert {n["replayOf"] for n in feed.json()["data"]} == {"tx-orig"}
    original = await explain(pipeline, "tx-orig")
    assert original["replays"] == [now["transactionId"], "tx-again"] and original["workflowVersion"] == 1
    assert (await explain(pipeline, "tx-again"))["replayOf"] == "tx-orig"
    query = f"EnvironmentId = '{pipeline.tenancy.env_a.id}' AND ReplayOf = 'tx-orig'"
    for _ in range(100):  # visibility is eventually consistent
        found = sorted({w.id async for w in pipeline.temporal.list_workflows(query) if w.id.startswith("trigger:")})
        if len(found) == 2:
            break
        await asyncio.sleep(0.1)
    env = pipeline.tenancy.env_a.id
    assert found == sorted([f"trigger:{env}:{now['transactionId']}", f"trigger:{env}:tx-again"])


async def test_replay_refusals(pipeline: Pipeline) -> None:
    missing = await replay(pipeline, "tx-never", status=404)
    assert missing["statusCode"] == 404 and "tx-never" in missing["message"]
    await pipeline.trigger({"name": "welcome", "to": "ada", "transactionId": "tx-one"})
    await pipeline.finish("tx-one")
    taken = await replay(pipeline, "tx-one", {"transactionId": "tx-one"}, status=409)
    assert "exists already" in taken["message"]
    bad = await replay(pipeline, "tx-one", {"definition": "yesterday"}, status=422)
    assert "definition" in bad["errors"], bad
    response = await pipeline.client.get("/v2/workflows/nope/versions", headers=pipeline.headers)
    assert response.status_code == 404 and response.json()["statusCode"] == 404
