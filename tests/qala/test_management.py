"""Keys and environments (§0.3-0.4, §5 item 8), topics and event types (§1.6), groups and tokens (§1.7, item 18)."""

from __future__ import annotations

from store import tenancy
from tests.qala.conftest import Qala, Receiver

EVENT = {"type": "transaction.updated", "data": {"a": 1}}


async def org_key(q: Qala, scopes: list[str] | None = None) -> str:
    async with q.pipeline.sessions() as session, session.begin():
        issued = await tenancy.create_key(session=session, name="org", scopes=scopes,
                                          organization_id=q.pipeline.tenancy.env_a.organization_id)
    return issued.raw


async def test_environment_choice_by_key_binding(qala: Qala) -> None:
    await qala.event_type("transaction.updated")
    await qala.topic("transactions", ["transaction.updated"])
    key = await org_key(qala)
    response = await qala.http.post("/v1/events/publish", json=EVENT, headers={"x-auth-token": key})
    assert response.status_code == 400
    assert response.json()["errors"][0] == {"name": "x-environment-id", "code": "INVALID_MANDATORY_PROPERTY",
                                            "severity": None, "reason": "The x-environment-id field is required."}
    ok = await qala.http.post("/v1/events/publish", json=EVENT,
                              headers={"x-auth-token": key, "x-environment-id": str(qala.env)})
    assert ok.status_code == 200, ok.text
    assert (await qala.http.post("/v1/events/publish", json=EVENT, headers=qala.auth())).status_code == 200
    async with qala.pipeline.sessions() as session, session.begin():
        other = await tenancy.get_or_create_organization(session=session, slug="other", name="Other")
        project = await tenancy.get_or_create_project(session=session, organization_id=other.id, slug="p", name="P")
        foreign = await tenancy.get_or_create_environment(session=session, project=project, slug="x", name="X")
    response = await qala.http.post("/v1/events/publish", json=EVENT,
                                    headers={"x-auth-token": key, "x-environment-id": str(foreign.id)})
    assert response.status_code == 403 and response.json()["errors"][0]["code"] == "FORBIDDEN"
    response = await qala.http.post("/v1/events/publish", json=EVENT, headers={"x-auth-token": "nope"})
    assert response.status_code == 401 and response.json()["errors"][0]["code"] == "INVALID_AUTH_TOKEN"
    envs = await qala.ok("GET", "/management/v1/environments", key=key)
    assert {e["id"] for e in envs} == {str(qala.env), str(qala.pipeline.tenancy.env_b.id)}
    assert envs[0]["organizationSlug"] == "o" and envs[0]["region"] is None


async def test_api_keys_cannot_be_broader_than_their_creator(qala: Qala) -> None:
    created = await qala.ok("POST", "/management/v1/api-keys", {"name": "trigger-only", "scopes": ["event:trigger"]},
                            status=201)
    assert created["environmentId"] == str(qala.env) and created["key"]
    response = await qala.call("POST", "/management/v1/api-keys",
                               {"name": "wider", "projectId": str(qala.pipeline.tenancy.env_a.project_id)})
    assert response.status_code == 403
    # The narrow key publishes but may not manage, nor use native routes.
    await qala.event_type("transaction.updated")
    await qala.topic("transactions", ["transaction.updated"])
    assert (await qala.call("POST", "/v1/events/publish", EVENT, key=created["key"])).status_code == 200
    assert (await qala.call("GET", "/management/v1/topics", key=created["key"])).status_code == 403
    listed = await qala.ok("GET", "/management/v1/api-keys/")
    assert created["id"] in {k["id"] for k in listed} and all("key" not in k for k in listed)
    org = await org_key(qala)
    project_key = await qala.ok("POST", "/management/v1/api-keys",
                                {"name": "p", "projectId": str(qala.pipeline.tenancy.env_a.project_id)},
                                status=201, key=org)
    assert project_key["environmentId"] is None and project_key["projectId"]
    assert (await qala.call("POST", "/v1/events/publish", EVENT, key=created["key"])).status_code == 200
    response = await qala.call("DELETE", f"/management/v1/api-keys/{created['id']}")
    assert response.status_code == 204
    assert created["id"] not in {k["id"] for k in await qala.ok("GET", "/management/v1/api-keys")}
    # It was used a moment ago, so the auth cache held it: revoking drops it there at once.
    assert (await qala.call("POST", "/v1/events/publish", EVENT, key=created["key"])).status_code == 401


async def test_topics_and_event_types(qala: Qala) -> None:
    kind = await qala.event_type("invoice.paid", {"type": "object"})
    assert kind == {**kind, "type": "invoice.paid", "active": True, "hasSteps": False,
                    "contentType": "application/json", "encoding": "utf-8"}
    assert (await qala.call("POST", "/management/v1/events/types", {"type": "invoice.paid"})).status_code == 409
    topic = await qala.ok("POST", "/management/v1/topics/", {"name": "billing", "eventTypeIds": [kind["id"]]}, 201)
    assert topic["eventTypes"] == [{"id": kind["id"], "type": "invoice.paid"}]
    assert (await qala.call("POST", "/management/v1/topics", {"name": "billing"})).status_code == 409
    response = await qala.call("POST", "/management/v1/topics", {"name": "x", "eventTypeIds": ["missing"]})
    assert response.json()["errors"][0]["code"] == "INVALID_EVENT_TYPE"
    updated = await qala.ok("PUT", "/management/v1/topics/billing", {"description": "Money", "eventTypeIds": []})
    assert updated["description"] == "Money" and updated["eventTypes"] == []
    assert (await qala.call("DELETE", "/management/v1/topics/billing/")).status_code == 204
    assert (await qala.call("GET", "/management/v1/topics/billing")).status_code == 404


async def test_group_tokens(qala: Qala, receiver: Receiver) -> None:
    await qala.event_type("transaction.updated")
    await qala.topic("transactions", ["transaction.updated"])
    await qala.topic("internal", ["transaction.updated"])
    group = await qala.ok("POST", "/management/v1/security/subscriber-groups", {
        "name": "ACME users", "audience": "ACME",
        "availablePermissions": [{"permissionType": "Topic:Subscribe", "resourceType": "Topic",
                                  "resourceId": "transactions"}]}, 201)
    response = await qala.call("POST", "/management/v1/security/subscriber-groups", {
        "name": "bad", "availablePermissions": [{"permissionType": "Topic:Subscribe", "resourceType": "Topic",
                                                 "resourceId": "nope"}]})
    assert response.json()["errors"][0]["code"] == "NOT_FOUND"
    minted = await qala.ok("POST", f"/management/v1/security/subscriber-groups/{group['key']}/session-tokens")
    token = minted["sessionToken"]
    assert token.startswith("sgt_") and len(token) == 47
    denied = await qala.call("POST", "/management/v1/topics/internal/subscriptions",
                             {"name": "x", "webhookUrl": receiver.url + "/g"}, key=token)
    assert denied.status_code == 403
    sub = await qala.ok("POST", "/management/v1/topics/transactions/subscriptions",
                        {"name": "mine", "webhookUrl": receiver.url + "/g"}, 201, key=token)
    assert sub["audience"] == "ACME"
    other = await qala.call("POST", "/management/v1/topics/transactions/subscriptions",
                            {"name": "x", "webhookUrl": receiver.url + "/g", "audience": "BETA"}, key=token)
    assert other.status_code == 403
    assert [t["name"] for t in await qala.ok("GET", "/management/v1/topics", key=token)] == ["transactions"]
    assert (await qala.call("POST", "/v1/events/publish", EVENT, key=token)).status_code == 403
    await qala.ok("POST", "/management/v1/session-tokens/revoke", {"sessionToken": token}, 204)
    assert (await qala.call("GET", "/management/v1/topics", key=token)).status_code == 401
    unknown = await qala.call("POST", "/management/v1/security/subscriber-groups/"
                              "00000000-0000-0000-0000-000000000000/session-tokens")
    assert unknown.status_code == 404


async def test_subscriber_session_tokens(qala: Qala) -> None:
    native = qala.pipeline
    assert (await native.client.post("/v1/subscribers", json={"subscriberId": "ada"},
                                     headers=native.headers)).status_code == 201
    minted = await qala.ok("POST", "/management/v1/subscribers/ada/session-tokens", {"ttlSeconds": 300})
    assert minted["sessionToken"].startswith("sst_") and minted["subscriberId"] == "ada"
    assert (await qala.call("POST", "/management/v1/subscribers/nobody/session-tokens")).status_code == 404
    assert (await qala.call("POST", "/management/v1/subscribers/ada/session-tokens",
                            {"ttlSeconds": 10})).status_code == 400
