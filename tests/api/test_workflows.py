"""Workflow definitions over ``/v2/workflows``: CRUD, listing, save-time validation, isolation, novu-py."""

from __future__ import annotations

from pathlib import Path

import pytest

from clarion.seed import WELCOME_STEPS
from store import workflows as workflow_store
from tests.sdk import run_sdk, serve

ROOT = Path(__file__).resolve().parents[2]
NOVU_PY = ROOT / ".venv-novupy" / "bin" / "python"


def in_app(name: str = "Inbox", body: str = "Hello {{ subscriber.firstName }}", **extra):
    return {"name": name, "type": "in_app", "controlValues": {"body": body, **extra}}


def email(name: str = "Mail", subject: str = "Hi", body: str = "<p>{{ payload.orderId }}</p>"):
    return {"name": name, "type": "email", "controlValues": {"subject": subject, "body": body}}


def workflow(workflow_id: str | None = "order-shipped", **fields):
    body = {"name": "Order shipped", "steps": [in_app(), email()], **fields}
    if workflow_id is not None:
        body["workflowId"] = workflow_id
    return body


async def create(api, body, headers=None):
    response = await api.client.post("/v2/workflows", json=body, headers=headers or api.headers_a)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def errors_of(response) -> dict[str, str]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["statusCode"] == 400 and body["type"] == "BadRequestException" and body["path"]
    return {e["field"]: e["message"] for e in body["errors"]}


async def test_crud_round_trip(native_api):
    api = native_api
    created = await create(api, workflow(
        tags=["orders"],
        description="when an order ships",
        payloadSchema={"type": "object", "properties": {"orderId": {"type": "string"}}},
        preferences={"user": {"all": {"enabled": True, "readOnly": True}, "channels": {"email": {"enabled": False}}}},
    ))
    assert created["workflowId"] == "order-shipped" and created["name"] == "Order shipped"
    assert created["status"] == "ACTIVE" and created["tags"] == ["orders"]
    assert created["validatePayload"] is True and created["payloadSchema"]["properties"]["orderId"]
    assert created["preferences"]["default"]["all"] == {"enabled": True, "readOnly": True}
    assert created["preferences"]["default"]["channels"]["email"] == {"enabled": False}
    assert created["preferences"]["default"]["channels"]["in_app"] == {"enabled": True}
    inbox, mail = created["steps"]
    assert (inbox["stepId"], inbox["type"], mail["stepId"], mail["type"]) == ("inbox", "in_app", "mail", "email")
    assert inbox["controlValues"]["body"] == "Hello {{ subscriber.firstName }}"
    assert inbox["controls"]["values"] == inbox["controlValues"] and inbox["workflowId"] == "order-shipped"

    async with api.sessions() as session:
        row = await workflow_store.get_by_identifier(
            session=session, environment_id=api.tenancy.env_a.id, identifier="order-shipped"
        )
    assert row is not None and row.critical is True
    assert row.steps[0] == {
        "id": "inbox", "_id": inbox["_id"], "name": "Inbox", "type": "in_app", "active": True,
        "controls": {"body": "Hello {{ subscriber.firstName }}"}, "syntax": "liquid",
    }

    for key in ("order-shipped", created["_id"]):
        got = await api.client.get(f"/v2/workflows/{key}", headers=api.headers_a)
        assert got.status_code == 200 and got.json()["data"] == created
    step = await api.client.get(f"/v2/workflows/order-shipped/steps/{mail['_id']}", headers=api.headers_a)
    assert step.status_code == 200 and step.json()["data"]["stepId"] == "mail"

    # A full update: the echoed _id keeps the step's identity even though its name changes.
    renamed = {"_id": inbox["_id"], "name": "Inbox renamed", "type": "in_app", "controlValues": {"body": "Bye"}}
    put = await api.client.put("/v2/workflows/order-shipped", headers=api.headers_a, json={
        "name": "Order sent", "workflowId": "order-sent", "steps": [renamed],
        "preferences": {"user": None, "workflow": {"all": {"enabled": True, "readOnly": False}, "channels": {}}},
    })
    assert put.status_code == 200, put.text
    updated = put.json()["data"]
    assert (updated["name"], updated["workflowId"], updated["_id"]) == ("Order sent", "order-sent", created["_id"])
    assert [(s["_id"], s["stepId"], s["name"]) for s in updated["steps"]] == [(inbox["_id"], "inbox", "Inbox renamed")]
    assert updated["tags"] == ["orders"] and updated["description"] == "when an order ships"  # absent: kept
    assert updated["preferences"]["default"]["all"]["readOnly"] is False

    patched = await api.client.patch(f"/v2/workflows/{created['_id']}", headers=api.headers_a,
                                     json={"active": False, "payloadSchema": None})
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["status"] == "INACTIVE" and patched.json()["data"]["validatePayload"] is False

    deleted = await api.client.delete("/v2/workflows/order-sent", headers=api.headers_a)
    assert deleted.status_code == 204 and deleted.content == b""
    gone = await api.client.get(f"/v2/workflows/{created['_id']}", headers=api.headers_a)
    assert gone.status_code == 404
    assert gone.json()["statusCode"] == 404 and gone.json()["message"] == "Workflow not found"


async def test_identifier_defaults_to_the_slug_of_the_name_and_is_unique(native_api):
    api = native_api
    created = await create(api, workflow(workflow_id=None, name="Password Reset!"))
    assert created["workflowId"] == "password-reset"
    again = await api.client.post("/v2/workflows", json=workflow(workflow_id="password-reset"), headers=api.headers_a)
    assert "already exists" in errors_of(again)["workflowId"]
    # Environment B has its own namespace of identifiers.
    await create(api, workflow(workflow_id="password-reset"), headers=api.headers_b)


async def test_list_pages_and_searches(native_api):
    api = native_api
    for i, tags in enumerate([["billing"], ["billing", "eu"], ["auth"], [], ["auth"]]):
        await create(api, workflow(workflow_id=f"wf-{i}", name=f"Flow {i}", tags=tags, active=i != 4))

    async def listing(**params):
        response = await api.client.get("/v2/workflows", params=params, headers=api.headers_a)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        return [w["workflowId"] for w in data["workflows"]], data["totalCount"]

    # novu-py sends numbers as floats.
    first, total = await listing(limit="2.0", offset="0.0", orderBy="name", orderDirection="ASC")
    assert (first, total) == (["wf-0", "wf-1"], 5)
    assert await listing(limit="2.0", offset="4.0", orderBy="name", orderDirection="ASC") == (["wf-4"], 5)
    assert sorted((await listing(query="FLOW 3"))[0]) == ["wf-3"]
    assert sorted((await listing(query="wf-1"))[0]) == ["wf-1"]
    assert sorted((await listing(tags=["eu", "auth"]))[0]) == ["wf-1", "wf-2", "wf-4"]
    assert (await listing(status="INACTIVE"))[0] == ["wf-4"]
    assert (await listing(query="50%"))[1] == 0  # wildcards are literal
    item = (await api.client.get("/v2/workflows", headers=api.headers_a)).json()["data"]["workflows"][0]
    assert item["stepTypeOverviews"] == ["in_app", "email"] and item["steps"][0] == {"slug": "inbox", "type": "in_app"}
    too_big = await api.client.get("/v2/workflows", params={"limit": 1000}, headers=api.headers_a)
    assert too_big.status_code == 422


async def test_template_syntax_error_names_step_field_and_line(native_api):
    api = native_api
    bad = email(name="Receipt", body="<p>ok</p>\n{{ payload.orderId ")
    response = await api.client.post("/v2/workflows", json=workflow(steps=[in_app(), bad]), headers=api.headers_a)
    message = errors_of(response)["steps[1].controlValues.body"]
    assert 'step "receipt" (Receipt) line 2' in message


async def test_unknown_variable_names_step_field_and_line(native_api):
    api = native_api
    bad = in_app(body="Hi\n\n{{ customer.name }}", subject="{{ payload.ok }}")
    response = await api.client.post("/v2/workflows", json=workflow(steps=[bad]), headers=api.headers_a)
    errors = errors_of(response)
    assert list(errors) == ["steps[0].controlValues.body"]
    assert 'step "inbox" (Inbox) line 3' in errors["steps[0].controlValues.body"]
    assert "customer" in errors["steps[0].controlValues.body"]


async def test_bad_controls_are_named_by_field(native_api):
    api = native_api
    no_subject = {"name": "Mail", "type": "email", "controlValues": {"body": "x"}}
    extra = in_app(name="Box", colour="red")
    response = await api.client.post("/v2/workflows", json=workflow(steps=[no_subject, extra]), headers=api.headers_a)
    errors = errors_of(response)
    assert 'step "mail"' in errors["steps[0].controlValues.subject"]
    assert "steps[1].controlValues.colour" in errors


async def test_unknown_step_type_and_duplicate_step_ids(native_api):
    api = native_api
    steps = [in_app(), {"name": "Carrier pigeon", "type": "pigeon", "controlValues": {}}, in_app()]
    errors = errors_of(await api.client.post("/v2/workflows", json=workflow(steps=steps), headers=api.headers_a))
    assert 'unsupported step type "pigeon"' in errors["steps[1].type"]
    assert 'duplicate stepId "inbox"' in errors["steps[2].stepId"]


async def test_invalid_payload_schema_is_refused(native_api):
    api = native_api
    body = workflow(payloadSchema={"type": "objekt"})
    assert "payloadSchema" in errors_of(await api.client.post("/v2/workflows", json=body, headers=api.headers_a))
    await create(api, workflow())
    patch = await api.client.patch("/v2/workflows/order-shipped", json={"payloadSchema": {"required": 3}},
                                   headers=api.headers_a)
    assert "payloadSchema" in errors_of(patch)


async def test_environment_b_cannot_see_or_change_a_workflow_of_a(native_api):
    api = native_api
    created = await create(api, workflow())
    body = {"name": "x", "steps": []}
    for key in ("order-shipped", created["_id"]):
        path = f"/v2/workflows/{key}"
        for method, json_body in (("GET", None), ("PUT", body), ("PATCH", {"active": False}), ("DELETE", None)):
            response = await api.client.request(method, path, json=json_body, headers=api.headers_b)
            assert response.status_code == 404, (method, path, response.text)
        step = await api.client.get(f"{path}/steps/inbox", headers=api.headers_b)
        assert step.status_code == 404
    listing = await api.client.get("/v2/workflows", headers=api.headers_b)
    assert listing.json()["data"] == {"workflows": [], "totalCount": 0}
    still = await api.client.get("/v2/workflows/order-shipped", headers=api.headers_a)
    assert still.json()["data"] == created


async def test_seeded_workflow_reads_and_updates_with_stable_step_ids(native_api):
    api = native_api
    async with api.sessions() as session, session.begin():
        await workflow_store.upsert(session=session, environment_id=api.tenancy.env_a.id, identifier="welcome",
                                    values={"name": "Welcome", "steps": WELCOME_STEPS})
    first = (await api.client.get("/v2/workflows/welcome", headers=api.headers_a)).json()["data"]
    again = (await api.client.get("/v2/workflows/welcome", headers=api.headers_a)).json()["data"]
    assert [s["stepId"] for s in first["steps"]] == ["welcome-in-app", "welcome-email"]
    assert [s["_id"] for s in first["steps"]] == [s["_id"] for s in again["steps"]]
    echoed = [{"_id": s["_id"], "name": s["name"], "type": s["type"], "controlValues": s["controlValues"]}
              for s in first["steps"]]
    put = await api.client.put("/v2/workflows/welcome", json={"name": "Welcome", "steps": echoed},
                               headers=api.headers_a)
    assert put.status_code == 200, put.text
    assert [(s["_id"], s["stepId"]) for s in put.json()["data"]["steps"]] == [
        (s["_id"], s["stepId"]) for s in first["steps"]
    ]


# A fixed UUID: xdist workers must collect the same test ids.
UNKNOWN_KEYS = ["no-such-workflow", "5b0c4b2e-8a0f-4c57-9d55-0f7f3c1d2e4a", "not a uuid %", "ab" * 200]


@pytest.mark.parametrize("key", UNKNOWN_KEYS)
async def test_unknown_ids_are_404_not_500(native_api, key):
    api = native_api
    for method in ("GET", "DELETE"):
        response = await api.client.request(method, f"/v2/workflows/{key}", headers=api.headers_a)
        assert response.status_code == 404, response.text
        assert response.json()["message"] == "Workflow not found"


SDK_SCRIPT = r"""
import json, sys
from novu_py import Novu
from novu_py.utils import RetryConfig

url, key = sys.argv[1], sys.argv[2]
out = {}
with Novu(server_url=url, secret_key=key, retry_config=RetryConfig("none", None, False)) as client:
    created = client.workflows.create(create_workflow_dto={
        "name": "Order shipped", "workflow_id": "order-shipped", "tags": ["orders"], "active": True,
        "payload_schema": {"type": "object", "properties": {"orderId": {"type": "string"}}},
        "preferences": {
            "user": {"all": {"enabled": True, "read_only": True}, "channels": {"email": {"enabled": False}}},
        },
        "steps": [
            {"name": "Inbox", "type": "in_app",
             "control_values": {"subject": "Order {{ payload.orderId }}", "body": "Shipped"}},
            {"name": "Mail", "type": "email",
             "control_values": {"subject": "Shipped", "body": "<p>{{ payload.orderId }}</p>"}},
        ],
    }).result
    out["created"] = created.model_dump(mode="json", by_alias=True)
    out["got"] = client.workflows.get(workflow_id=created.id).result.model_dump(mode="json", by_alias=True)
    listed = client.workflows.list(request={"limit": 10, "query": "order"}).result
    out["listed"] = listed.model_dump(mode="json", by_alias=True)
    updated = client.workflows.update(workflow_id="order-shipped", update_workflow_dto={
        "name": "Order delivered", "preferences": {},
        "steps": [
            {"name": "Inbox", "type": "in_app", "id": created.steps[0].id, "control_values": {"body": "Delivered"}},
        ],
    }).result
    out["updated"] = updated.model_dump(mode="json", by_alias=True)
    patched = client.workflows.patch(workflow_id="order-shipped", patch_workflow_dto={"active": False}).result
    out["patched_status"] = str(patched.status.value if hasattr(patched.status, "value") else patched.status)
    client.workflows.delete(workflow_id="order-shipped")
    try:
        client.workflows.get(workflow_id="order-shipped")
    except Exception as exc:
        out["after_delete"] = [type(exc).__name__, getattr(exc, "status_code", None)]
print(json.dumps(out))
"""


async def test_novu_py_sdk_drives_workflow_crud(native_api):
    async with serve(native_api.app) as url:
        out = await run_sdk("novu-py", SDK_SCRIPT, url, native_api.tenancy.key_a)
    created = out["created"]
    assert created["workflowId"] == "order-shipped" and created["status"] == "ACTIVE"
    assert [s["stepId"] for s in created["steps"]] == ["inbox", "mail"]
    assert created["steps"][0]["controlValues"]["subject"] == "Order {{ payload.orderId }}"
    assert created["preferences"]["default"]["all"]["readOnly"] is True
    assert out["got"]["_id"] == created["_id"] and out["got"]["steps"] == created["steps"]
    assert out["listed"]["totalCount"] == 1 and out["listed"]["workflows"][0]["workflowId"] == "order-shipped"
    assert out["updated"]["name"] == "Order delivered"
    assert [(s["_id"], s["controlValues"]["body"]) for s in out["updated"]["steps"]] == [
        (created["steps"][0]["_id"], "Delivered")
    ]
    assert out["patched_status"] == "INACTIVE"
    assert out["after_delete"] == ["ErrorDto", 404]
