"""A tenant's override of a workflow: deactivation at trigger time, preference defaults at send time,
and the one preference rule (critical and read-only workflows keep their own defaults)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from activities.content import StepContent
from core.payloads import WorkflowSnapshot
from core.preferences import decide
from tests.pipeline.conftest import Pipeline
from tests.pipeline.factories import add_subscribers, add_workflow, set_preference

EMAIL_OFF = {"preferences": {"channels": {"email": {"enabled": False}}}}
LOCKED = "critical workflow: subscriber preferences bypassed"


async def put_override(client: Any, headers: dict[str, str], tenant: str, workflow: str, body: dict[str, Any]) -> Any:
    response = await client.put(f"/v1/tenants/{tenant}/workflows/{workflow}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def status_of(pipeline: Pipeline, body: dict[str, Any]) -> str:
    response = await pipeline.trigger(body)
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["status"])


async def test_a_tenant_deactivates_a_workflow_for_its_triggers_only(pipeline: Pipeline) -> None:
    c, h = pipeline.client, pipeline.headers
    assert (await c.post("/v1/tenants", json={"identifier": "acme", "name": "Acme"}, headers=h)).status_code == 201
    override = await put_override(c, h, "acme", "welcome", {"active": False})
    assert (override["active"], override["effectiveActive"], override["workflowId"]) == (False, False, "welcome")
    await add_subscribers(pipeline.sessions, pipeline.tenancy.env_a.id, ["pat"], email=True)

    assert await status_of(pipeline, {"name": "welcome", "to": "pat", "tenant": "acme"}) == "trigger_not_active"
    as_object = {"name": "welcome", "to": "pat", "tenant": {"identifier": "acme", "name": "Acme"}}
    assert await status_of(pipeline, as_object) == "trigger_not_active"
    bulk = await c.post("/v1/events/trigger/bulk", headers=h, json={"events": [
        {"name": "welcome", "to": "pat", "tenant": "acme"}, {"name": "welcome", "to": "pat", "transactionId": "tx-b"}]})
    assert [e["status"] for e in bulk.json()["data"]] == ["trigger_not_active", "processed"]
    await pipeline.finish("tx-b")
    assert await status_of(pipeline, {"name": "welcome", "to": "pat", "transactionId": "tx-none"}) == "processed"
    await pipeline.finish("tx-none")

    gone = await c.delete("/v1/tenants/acme/workflows/welcome", headers=h)
    assert gone.status_code == 204
    assert (await c.get("/v1/tenants/acme/workflows/welcome", headers=h)).status_code == 404
    body = {"name": "welcome", "to": "pat", "tenant": "acme", "transactionId": "tx-back"}
    assert await status_of(pipeline, body) == "processed"
    assert (await pipeline.finish("tx-back")).sent == 2


async def test_tenant_preference_defaults_sit_between_workflow_and_subscriber(pipeline: Pipeline) -> None:
    c, h, env = pipeline.client, pipeline.headers, pipeline.tenancy.env_a.id
    assert (await c.post("/v1/tenants", json={"identifier": "acme", "name": "Acme"}, headers=h)).status_code == 201
    await add_subscribers(pipeline.sessions, env, ["pat", "own"], email=True)
    welcome = await c.get("/v2/workflows/welcome", headers=h)
    await set_preference(pipeline.sessions, env, "own", workflow_id=uuid.UUID(welcome.json()["data"]["_id"]),
                         channels={"email": True})  # the subscriber's own switch wins over the tenant's
    await add_workflow(pipeline.sessions, env, "security", critical=True)
    locked_prefs = {"all": {"enabled": True, "readOnly": True}, "channels": {"email": {"enabled": True}}}
    await add_workflow(pipeline.sessions, env, "locked", preferences=locked_prefs)
    for workflow in ("welcome", "security", "locked"):
        await put_override(c, h, "acme", workflow, EMAIL_OFF)

    for workflow in ("welcome", "security", "locked"):
        tx = f"tx-{workflow}"
        body = {"name": workflow, "to": ["pat", "own"], "tenant": "acme", "transactionId": tx}
        assert await status_of(pipeline, body) == "processed"
        await pipeline.finish(tx)
    emails = {(m.transaction_id, m.subscriber_id) for m in await pipeline.messages(channel="email")}
    assert emails == {("tx-welcome", "own"), ("tx-security", "pat"), ("tx-security", "own"),
                      ("tx-locked", "pat"), ("tx-locked", "own")}
    in_app = {(m.transaction_id, m.subscriber_id) for m in await pipeline.messages(channel="in_app")}
    assert ("tx-welcome", "pat") in in_app  # only email was switched off for the tenant

    # Without the tenant, the workflow default (email on) applies to pat again.
    await status_of(pipeline, {"name": "welcome", "to": "pat", "transactionId": "tx-plain"})
    await pipeline.finish("tx-plain")
    assert [m.subscriber_id for m in await pipeline.messages(channel="email", transaction_id="tx-plain")] == ["pat"]


async def test_override_routes_validate_and_are_isolated(native_api: Any) -> None:
    api = native_api
    for headers in (api.headers_a, api.headers_b):
        assert (await api.client.post("/v1/tenants", json={"identifier": "acme", "name": "A"},
                                      headers=headers)).status_code == 201
    workflow = {"name": "W", "workflowId": "w", "steps": [
        {"name": "Inbox", "stepId": "inbox", "type": "in_app", "controlValues": {"body": "hi"}}]}
    created = await api.client.post("/v2/workflows", json=workflow, headers=api.headers_a)
    assert created.status_code == 201, created.text
    by_id = await put_override(api.client, api.headers_a, "acme", created.json()["data"]["_id"], EMAIL_OFF)
    assert (by_id["active"], by_id["preferences"], by_id["effectiveActive"]) == \
        (None, {"channels": {"email": {"enabled": False}}}, True)
    got = await api.client.get("/v1/tenants/acme/workflows/w", headers=api.headers_a)
    assert got.status_code == 200 and got.json()["data"]["_id"] == by_id["_id"]

    bad = {"preferences": {"channels": {"fax": {"enabled": False}}}}
    response = await api.client.put("/v1/tenants/acme/workflows/w", json=bad, headers=api.headers_a)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "preferences.channels.fax"
    read_only = {"preferences": {"all": {"enabled": True, "readOnly": False}}}
    response = await api.client.put("/v1/tenants/acme/workflows/w", json=read_only, headers=api.headers_a)
    assert response.status_code == 400, response.text
    response = await api.client.put("/v1/tenants/acme/workflows/w", json={"active": "no"}, headers=api.headers_a)
    assert response.status_code == 400, response.text
    for path in ("/v1/tenants/nobody/workflows/w", "/v1/tenants/acme/workflows/nothing"):
        assert (await api.client.put(path, json={"active": False}, headers=api.headers_a)).status_code == 404
    # Environment B has its own tenant "acme" but not this workflow.
    other = await api.client.get("/v1/tenants/acme/workflows/w", headers=api.headers_b)
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("critical", "defaults", "tenant", "expected"),
    [
        (False, {}, {"channels": {"email": {"enabled": False}}}, (False, "tenant default")),
        (False, {"channels": {"email": {"enabled": False}}}, {"channels": {"email": {"enabled": True}}},
         (True, "tenant default")),
        (False, {}, {"all": {"enabled": False}}, (False, "tenant default")),
        (False, {}, {"channels": {"sms": {"enabled": False}}}, (True, "workflow default")),
        (True, {}, {"channels": {"email": {"enabled": False}}}, (True, LOCKED)),
        (False, {"all": {"readOnly": True}, "channels": {"email": {"enabled": True}}}, {"all": {"enabled": False}},
         (True, LOCKED)),
    ],
)
def test_the_one_rule_places_the_tenant_between_workflow_and_subscriber(critical, defaults, tenant, expected):
    assert decide("email", critical=critical, defaults=defaults, global_row=None, workflow_row=None,
                  tenant_defaults=tenant) == expected


def test_a_tenant_deactivation_seen_at_send_time_skips_the_step():
    snapshot = WorkflowSnapshot(id="00000000-0000-0000-0000-000000000001", identifier="w", name="w", steps=[])
    content = StepContent(tenant_inactive=True, tenant="acme")
    assert content.allowed("email", workflow=snapshot, global_row=None, workflow_row=None) == \
        (False, "workflow deactivated for tenant 'acme'")
    assert StepContent().allowed("email", workflow=snapshot, global_row=None, workflow_row=None)[0] is True
