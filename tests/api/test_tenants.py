"""Novu's ``/v1/tenants`` over HTTP, and its agreement with the trigger's tenant handling."""

from __future__ import annotations

from typing import Any

from activities.recipients import upsert_parties
from core.payloads import TenantInput, TriggerContext, WorkflowSnapshot
from tests.sdk import run_sdk, serve


async def create(api, body: dict[str, Any], headers=None) -> dict[str, Any]:
    response = await api.client.post("/v1/tenants", json=body, headers=headers or api.headers_a)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def assert_novu_error(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status and body["path"] and body["timestamp"] and body["message"]
    return body


async def test_tenant_crud(native_api):
    api = native_api
    created = await create(api, {"identifier": "acme", "name": "Acme", "data": {"tier": "gold"}})
    assert (created["identifier"], created["name"], created["data"]) == ("acme", "Acme", {"tier": "gold"})
    assert created["_environmentId"] == str(api.tenancy.env_a.id) and created["_id"] and created["createdAt"]
    assert_novu_error(await api.client.post("/v1/tenants", json={"identifier": "acme", "name": "Again"},
                                            headers=api.headers_a), 409)
    got = await api.client.get("/v1/tenants/acme", headers=api.headers_a)
    assert got.status_code == 200 and got.json()["data"] == created
    patched = await api.client.patch("/v1/tenants/acme", json={"name": "Acme Inc", "data": {"tier": "silver"}},
                                     headers=api.headers_a)
    assert patched.status_code == 200, patched.text
    assert (patched.json()["data"]["name"], patched.json()["data"]["data"]) == ("Acme Inc", {"tier": "silver"})
    renamed = await api.client.patch("/v1/tenants/acme", json={"identifier": "acme-2", "name": None},
                                     headers=api.headers_a)
    assert renamed.json()["data"]["identifier"] == "acme-2" and renamed.json()["data"]["name"] == "Acme Inc"
    assert_novu_error(await api.client.get("/v1/tenants/acme", headers=api.headers_a), 404)
    await create(api, {"identifier": "other", "name": "Other"})
    taken = await api.client.patch("/v1/tenants/other", json={"identifier": "acme-2"}, headers=api.headers_a)
    assert_novu_error(taken, 409)
    deleted = await api.client.delete("/v1/tenants/acme-2", headers=api.headers_a)
    assert deleted.status_code == 204 and deleted.content == b""
    for method in ("GET", "DELETE"):
        assert_novu_error(await api.client.request(method, "/v1/tenants/acme-2", headers=api.headers_a), 404)
    assert_novu_error(await api.client.patch("/v1/tenants/acme-2", json={}, headers=api.headers_a), 404)


async def test_tenant_list_pages(native_api):
    api = native_api
    for n in range(3):
        await create(api, {"identifier": f"t{n}", "name": f"T{n}"})
    first = (await api.client.get("/v1/tenants?page=0&limit=2.0", headers=api.headers_a)).json()
    assert (first["page"], first["pageSize"], first["hasMore"], len(first["data"])) == (0, 2, True, 2)
    second = (await api.client.get("/v1/tenants?page=1.0&limit=2", headers=api.headers_a)).json()
    assert (second["hasMore"], len(second["data"])) == (False, 1)
    assert sorted(t["identifier"] for t in first["data"] + second["data"]) == ["t0", "t1", "t2"]


async def test_tenant_validation(native_api):
    api = native_api
    for body in ({"identifier": "x"}, {"name": "x"}, {"identifier": "", "name": "x"},
                 {"identifier": "x" * 256, "name": "x"}, {"identifier": "x", "name": "x", "data": {"k": "\x00"}}):
        assert_novu_error(await api.client.post("/v1/tenants", json=body, headers=api.headers_a), 422)


async def test_another_environment_cannot_touch_a_tenant(native_api):
    api = native_api
    await create(api, {"identifier": "acme", "name": "Acme"})
    b = api.headers_b
    for method, body in (("GET", None), ("PATCH", {"name": "Evil"}), ("DELETE", None)):
        response = await api.client.request(method, "/v1/tenants/acme", json=body, headers=b)
        assert_novu_error(response, 404)
    assert (await api.client.get("/v1/tenants", headers=b)).json()["data"] == []
    assert (await create(api, {"identifier": "acme", "name": "B's own"}, headers=b))["name"] == "B's own"
    ours = (await api.client.get("/v1/tenants/acme", headers=api.headers_a)).json()["data"]
    assert ours["name"] == "Acme"


async def test_triggers_and_tenant_routes_agree(native_api):
    api = native_api
    workflow = {"name": "Welcome", "workflowId": "welcome",
                "steps": [{"name": "Inbox", "type": "in_app", "controlValues": {"body": "Hi"}}]}
    assert (await api.client.post("/v2/workflows", json=workflow, headers=api.headers_a)).status_code == 201
    trigger = {"name": "welcome", "to": "ada", "tenant": "acme", "transactionId": "tx-1"}
    refused = await api.client.post("/v1/events/trigger", json=trigger, headers=api.headers_a)
    assert refused.status_code == 201
    assert refused.json()["data"] == {"acknowledged": True, "status": "no_tenant_found", "transactionId": "tx-1"}
    await create(api, {"identifier": "acme", "name": "Acme", "data": {"tier": "gold"}})
    # What the trigger workflow does with a tenant object: the route then reads the update.
    ctx = TriggerContext(
        environment_id=str(api.tenancy.env_a.id), organization_id="o", transaction_id="tx-2",
        workflow=WorkflowSnapshot(id="w", identifier="welcome", name="Welcome", steps=[]),
        tenant=TenantInput(identifier="acme", data={"tier": "platinum"}),
    )
    async with api.sessions() as session, session.begin():
        _, tenant = await upsert_parties(session, ctx)
    assert tenant is not None and tenant.name == "Acme"
    got = (await api.client.get("/v1/tenants/acme", headers=api.headers_a)).json()["data"]
    assert (got["name"], got["data"]) == ("Acme", {"tier": "platinum"})


NOVU_SCRIPT = r"""
import json, sys
import requests
from novu.api import TenantApi

url, key = sys.argv[1], sys.argv[2]
api = TenantApi(url=url, api_key=key)
out = {}
created = api.create("acme", "Acme", {"tier": "gold"})
out["created"] = [created.identifier, created.name, created.data, bool(created._id)]
got = api.get("acme")
out["got"] = [got.identifier, got.name, got.created_at == created.created_at]
api.create("beta", "Beta")
page = api.list(limit=1)
out["list"] = [page.page, page.page_size, page.has_more, len(list(page.data))]
out["stream"] = sorted(t.identifier for t in api.stream())
patched = api.patch("acme", name="Acme Inc", data={"tier": "silver"})
out["patched"] = [patched.identifier, patched.name, patched.data]
api.delete("acme")
try:
    api.get("acme")
except requests.HTTPError as exc:
    out["after_delete"] = exc.response.status_code
print(json.dumps(out))
"""


async def test_novu_1_14_sdk_drives_tenants(native_api):
    async with serve(native_api.app) as url:
        out = await run_sdk("novu", NOVU_SCRIPT, url, native_api.tenancy.key_a)
    assert out["created"] == ["acme", "Acme", {"tier": "gold"}, True]
    assert out["got"] == ["acme", "Acme", True]
    assert out["list"] == [0, 1, True, 1]
    assert out["stream"] == ["acme", "beta"]
    assert out["patched"] == ["acme", "Acme Inc", {"tier": "silver"}]
    assert out["after_delete"] == 404
