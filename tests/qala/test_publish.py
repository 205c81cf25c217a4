"""Qala publish (event-apis.md §5 items 1-12): body shapes, validation, routing, duplicates, limits."""

from __future__ import annotations

import json

import pytest
from temporalio.service import RPCError, RPCStatusCode

from tests.qala.conftest import Qala, Receiver, until

EVENT = {"type": "transaction.updated", "id": "Example2", "audiences": None, "data": {"customerId": "123456"}}


async def workflow_exists(q: Qala, event_id: str) -> bool:
    try:
        await q.pipeline.temporal.get_workflow_handle(f"publish:{q.env}:{event_id}").describe()
    except RPCError as exc:
        assert exc.status == RPCStatusCode.NOT_FOUND
        return False
    return True


async def test_empty_list_is_a_mandatory_property_problem(qala: Qala) -> None:
    for path in ("/v1/events/publish", "/v1/events/publish/"):
        response = await qala.call("POST", path, [])
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["instance"] == path
        assert problem["traceId"] == response.headers["x-request-id"]
        assert problem["errors"][0] == {"name": "events", "reason": "The Events field is required.",
                                        "code": "INVALID_MANDATORY_PROPERTY", "severity": None}
    for body in (b"", b"{}", b'{"events": null}'):
        response = await qala.http.post("/v1/events/publish", content=body, headers=qala.auth())
        assert response.json()["errors"][0]["name"] == "events", body
    response = await qala.http.post("/v1/events/publish", content=b"{not json", headers=qala.auth())
    assert response.status_code == 400 and response.json()["errors"][0]["name"] == "$"


async def test_three_body_shapes_give_the_same_results(qala: Qala) -> None:
    await qala.event_type("transaction.updated")
    await qala.topic("transactions", ["transaction.updated"])
    results = []
    for i, shape in enumerate((lambda e: [e], lambda e: {"events": [e]}, lambda e: e)):
        body = await qala.publish(shape({**EVENT, "id": f"shape-{i}"}), topic="transactions")
        results.append([{k: v for k, v in r.items() if k not in ("id", "transactionId")} for r in body["events"]])
        assert body["accepted"] == 1 and body["duplicates"] == 0
    assert results[0] == results[1] == results[2] == [
        {"index": 0, "type": "transaction.updated", "status": "accepted", "topics": ["transactions"],
         "workflowStatus": "no_workflow_steps_defined"}]
    # Trailing slash, no redirect; a content type that lies is ignored.
    response = await qala.http.post("/v1/topics/transactions/events/publish/", content=json.dumps({**EVENT, "id": "s"}),
                                    headers={**qala.auth(), "content-type": "text/plain"})
    assert response.status_code == 200, response.text


async def test_unknown_type_is_refused_and_nothing_starts(qala: Qala, receiver: Receiver) -> None:
    await qala.event_type("transaction.updated")
    await qala.topic("transactions", [])
    await qala.subscribe("transactions", "/hook", receiver)
    response = await qala.call("POST", "/v1/topics/transactions/events/publish",
                               [{"type": "nope.never", "id": "u1", "data": {}}])
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "INVALID_EVENT_TYPE"
    assert response.json()["errors"][0]["name"] == "events[0].type"
    assert not await workflow_exists(qala, "u1")


async def test_bad_type_formats_and_all_or_nothing(qala: Qala) -> None:
    await qala.event_type("transaction.updated")
    await qala.topic("transactions", ["transaction.updated"])
    for kind in ("x" * 101, "has space"):
        response = await qala.call("POST", "/v1/events/publish", [{"type": kind, "data": {}}])
        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == "INVALID_FORMAT"
    batch = [{**EVENT, "id": f"batch-{i}"} for i in range(3)]
    batch.insert(2, {"type": "transaction.updated", "id": "batch-bad", "data": None})
    response = await qala.call("POST", "/v1/events/publish", batch)
    assert response.status_code == 400
    assert response.json()["errors"][0]["name"] == "events[2].data"
    for event_id in ("batch-0", "batch-1", "batch-2", "batch-bad"):
        assert not await workflow_exists(qala, event_id)


async def test_schema_validation_switch(qala: Qala) -> None:
    schema = {"type": "object", "required": ["email"], "properties": {"email": {"type": "string", "format": "email"}}}
    await qala.event_type("user.created", schema)
    await qala.topic("users", ["user.created"])
    response = await qala.call("POST", "/v1/events/publish", [{"type": "user.created", "data": {"name": "x"}}])
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "SCHEMA_VALIDATION_FAILED" and error["name"] == "events[0].data.email"
    response = await qala.call("POST", "/v1/events/publish", [{"type": "user.created", "data": {"email": "nope"}}])
    assert response.json()["errors"][0]["code"] == "SCHEMA_VALIDATION_FAILED"
    await qala.ok("PUT", f"/management/v1/environments/{qala.env}", {"isSchemaValidationEnabled": False})
    body = await qala.publish([{"type": "user.created", "data": {"name": "x"}}])
    assert body["accepted"] == 1


async def test_routing_errors_and_limits(qala: Qala) -> None:
    await qala.event_type("a.happened")
    await qala.event_type("b.happened")
    await qala.topic("only-a", ["a.happened"])
    response = await qala.call("POST", "/v1/topics/only-a/events/publish", [{"type": "b.happened", "data": {}}])
    assert response.json()["errors"][0]["code"] == "EVENT_TYPE_NOT_ON_TOPIC"
    # An event type the environment does not have is reported as such first, as the spec orders the checks.
    response = await qala.call("POST", "/v1/topics/only-a/events/publish", [{"type": "c.unknown", "data": {}}])
    assert response.json()["errors"][0]["code"] == "INVALID_EVENT_TYPE"
    response = await qala.call("POST", "/v1/events/publish", [{"type": "b.happened", "data": {}}])
    assert response.json()["errors"][0]["code"] == "EVENT_TYPE_NOT_ROUTED"
    response = await qala.call("POST", "/v1/topics/missing/events/publish", [{"type": "a.happened", "data": {}}])
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == "NOT_FOUND"
    response = await qala.call("POST", "/v1/events/publish", [{"type": "a.happened", "data": {}}] * 101)
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "TOO_MANY_EVENTS"
    response = await qala.call("POST", "/v1/events/publish", [{"type": "a.happened", "data": {"x": "y" * 600 * 1024}}])
    assert response.status_code == 413
    [too_large] = response.json()["errors"]
    assert too_large == {**too_large, "name": "events[0].data", "code": "PAYLOAD_TOO_LARGE", "severity": None}
    response = await qala.call("POST", "/v1/events/publish",
                               [{"type": "a.happened", "data": {}, "audiences": ["bad audience"]}])
    assert response.json()["errors"][0] == {"name": "events[0].audiences", "code": "INVALID_FORMAT", "severity": None,
                                            "reason": response.json()["errors"][0]["reason"]}


async def test_duplicate_ids_run_once(qala: Qala, receiver: Receiver) -> None:
    await qala.event_type("transaction.updated")
    await qala.topic("transactions", ["transaction.updated"])
    await qala.subscribe("transactions", "/dup", receiver)
    body = await qala.publish([EVENT, EVENT])
    assert [e["status"] for e in body["events"]] == ["accepted", "duplicate"]
    assert body == {**body, "accepted": 1, "duplicates": 1}
    again = await qala.publish(EVENT)
    assert again["events"][0]["status"] == "duplicate"
    await until(lambda: receiver.at("/dup"))
    result = await qala.pipeline.temporal.get_workflow_handle(f"publish:{qala.env}:Example2").result()
    assert result["deliveries"] == 1
    await until(lambda: [d for d in [True] if len(receiver.at("/dup")) == 1])
    assert len(receiver.at("/dup")) == 1


async def test_publish_event_is_callable_from_other_dialects(qala: Qala) -> None:
    """The shared operation that Bitcaster triggers and stream routing call (event-apis.md §0.6)."""
    from api.operations.publishing import PublishRefused, publish_event

    await qala.event_type("order.placed")
    await qala.topic("orders", [])
    publisher = qala.pipeline.app.state.publisher
    async with qala.pipeline.sessions() as session:
        common = {"publisher": publisher, "session": session, "temporal": qala.pipeline.temporal,
                  "environment_id": qala.env, "event_type": "order.placed", "data": {"n": 1}}
        outcome = await publish_event(**common, event_id="direct-1", require_route=False)
        assert (outcome.status, outcome.topics) == ("accepted", [])
        assert outcome.workflow_status == "no_workflow_steps_defined"
        assert outcome.workflow_id == f"publish:{qala.env}:direct-1"
        assert (await publish_event(**common, event_id="direct-1", require_route=False)).status == "duplicate"
        explicit = await publish_event(**common, event_id="direct-2", topics=["orders"])
        assert explicit.topics == ["orders"]
        with pytest.raises(PublishRefused) as refused:
            await publish_event(**common, event_id="direct-3")
        assert [i.code for i in refused.value.issues] == ["EVENT_TYPE_NOT_ROUTED"]
