"""What the trigger route answers before anything runs: Novu's statuses and errors."""

from __future__ import annotations

from typing import Any

import pytest

from store.models import Tenant
from tests.pipeline.conftest import Pipeline
from tests.pipeline.factories import add_workflow

IN_APP = [{"id": "a", "type": "in_app", "active": False, "controls": {"body": "hi"}}]


@pytest.mark.parametrize(
    ("values", "status"),
    [
        ({"active": False}, "trigger_not_active"),
        ({"steps": []}, "no_workflow_steps_defined"),
        ({"steps": IN_APP}, "no_workflow_active_steps_defined"),
    ],
)
async def test_refusals_are_acknowledged_with_a_status(pipeline: Pipeline, values: dict[str, Any], status: str) -> None:
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "refused", **values)
    response = await pipeline.trigger({"name": "refused", "to": "ada", "transactionId": "tx-r"})
    assert response.status_code == 201
    assert response.json()["data"] == {"acknowledged": True, "status": status, "transactionId": "tx-r"}
    assert await pipeline.messages() == []


async def test_unknown_workflow_is_422(pipeline: Pipeline) -> None:
    response = await pipeline.trigger({"name": "nope", "to": "ada"})
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "workflow_not_found"
    assert "name" in body["errors"]


async def test_unknown_tenant_and_known_tenant(pipeline: Pipeline) -> None:
    response = await pipeline.trigger({"name": "welcome", "to": "ada", "tenant": "acme"})
    assert response.json()["data"]["status"] == "no_tenant_found"
    async with pipeline.sessions() as session, session.begin():
        session.add(Tenant(environment_id=pipeline.tenancy.env_a.id, identifier="acme", name="Acme"))
    response = await pipeline.trigger({"name": "welcome", "to": "ada", "tenant": "acme", "transactionId": "tx-t"})
    assert response.json()["data"]["status"] == "processed"
    await pipeline.finish("tx-t")


async def test_payload_failing_the_schema_names_the_field(pipeline: Pipeline) -> None:
    schema = {"type": "object", "properties": {"order": {"type": "object", "properties": {"total": {"type": "number"}},
              "required": ["total"]}}, "required": ["order"]}
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "typed", payload_schema=schema)
    response = await pipeline.trigger({"name": "typed", "to": "ada", "payload": {"order": {"total": "12"}}})
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["field"] == "payload.order.total"
    ok = await pipeline.trigger({"name": "typed", "to": "ada", "payload": {"order": {"total": 12}}})
    assert ok.status_code == 201


@pytest.mark.parametrize(
    "body",
    [{"name": "welcome"}, {"name": "welcome", "to": []}, {"name": "", "to": "a"}, {"name": "welcome", "to": 5},
     {"name": "welcome", "to": [{"type": "Topic"}]}, {"name": "welcome", "to": "a", "payload": []}],
)
async def test_malformed_bodies_are_422_naming_the_field(pipeline: Pipeline, body: dict[str, Any]) -> None:
    response = await pipeline.trigger(body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"]


async def test_a_repeated_transaction_id_runs_once(pipeline: Pipeline) -> None:
    body = {"name": "welcome", "to": {"subscriberId": "ada", "email": "ada@example.test"}, "transactionId": "tx-dup"}
    first = await pipeline.trigger(body)
    await pipeline.finish("tx-dup")
    again = await pipeline.trigger(body)
    assert first.json() == again.json()
    assert len(await pipeline.messages(channel="in_app")) == 1
    assert len(pipeline.mailbox.messages) == 1


async def test_environment_b_cannot_trigger_into_a(pipeline: Pipeline) -> None:
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "only-a")
    response = await pipeline.client.post(
        "/v1/events/trigger", json={"name": "only-a", "to": "ada"},
        headers={"Authorization": f"ApiKey {pipeline.tenancy.key_b}"},
    )
    assert response.status_code == 422
