"""Novu's ``/v1/layouts`` over HTTP: CRUD, the one default, refusals, isolation, and workflow references."""

from __future__ import annotations

from typing import Any

LAYOUT = "<html><body><h1>{{ subject }}</h1>{{ body }}</body></html>"


async def create(api, body: dict[str, Any], headers=None) -> str:
    response = await api.client.post("/v1/layouts", json=body, headers=headers or api.headers_a)
    assert response.status_code == 201, response.text
    assert set(response.json()["data"]) == {"_id"}
    return str(response.json()["data"]["_id"])


async def get(api, key: str, headers=None) -> dict[str, Any]:
    response = await api.client.get(f"/v1/layouts/{key}", headers=headers or api.headers_a)
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def error(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status and body["message"] and body["path"]
    return dict(body)


def email_workflow(layout_id: Any = ..., workflow_id: str = "digest-mail") -> dict[str, Any]:
    controls: dict[str, Any] = {"subject": "Hi", "body": "<p>x</p>"}
    if layout_id is not ...:
        controls["layoutId"] = layout_id
    return {"name": "Mail", "workflowId": workflow_id,
            "steps": [{"name": "Mail", "stepId": "mail", "type": "email", "controlValues": controls}]}


async def test_layout_crud_and_the_single_default(native_api):
    api = native_api
    first = await create(api, {"name": "Brand", "identifier": "brand", "content": LAYOUT, "isDefault": True,
                               "description": "our look", "variables": [{"name": "x", "type": "String"}]})
    second = await create(api, {"name": "Plain frame", "content": "<div>{{ body }}</div>"})
    brand = await get(api, first)
    assert (brand["identifier"], brand["isDefault"], brand["channel"], brand["contentType"]) == \
        ("brand", True, "email", "customHtml")
    assert brand["_environmentId"] == str(api.tenancy.env_a.id)
    assert brand["variables"] == [{"name": "x", "type": "String"}]
    assert (await get(api, "brand"))["_id"] == first  # by identifier too
    assert (await get(api, second))["identifier"] == "plain-frame"  # derived from the name

    page = await api.client.get("/v1/layouts?page=0.0&pageSize=1.0&orderBy=1", headers=api.headers_a)
    assert page.status_code == 200, page.text
    listed = page.json()
    assert (listed["page"], listed["pageSize"], listed["totalCount"]) == (0, 1, 2)
    assert [row["_id"] for row in listed["data"]] == [first]

    made_default = await api.client.post(f"/v1/layouts/{second}/default", headers=api.headers_a)
    assert made_default.status_code == 204
    assert (await get(api, first))["isDefault"] is False and (await get(api, second))["isDefault"] is True

    patched = await api.client.patch(f"/v1/layouts/{first}", json={"name": "Brand 2", "content": "{{{body}}}!"},
                                     headers=api.headers_a)
    assert patched.status_code == 200, patched.text
    assert (patched.json()["data"]["name"], patched.json()["data"]["content"]) == ("Brand 2", "{{ body }}!")
    error(await api.client.patch(f"/v1/layouts/{first}", json={}, headers=api.headers_a), 400)
    taken = await api.client.patch(f"/v1/layouts/{second}", json={"identifier": "brand"}, headers=api.headers_a)
    assert "already exists" in error(taken, 409)["message"]
    error(await api.client.post("/v1/layouts", json={"name": "Again", "identifier": "brand", "content": LAYOUT},
                                headers=api.headers_a), 409)

    refused = error(await api.client.delete(f"/v1/layouts/{second}", headers=api.headers_a), 409)
    assert "default layout" in refused["message"]
    # Clarion (unlike Novu) may have no default: clearing it sends email bodies without a layout.
    cleared = await api.client.patch(f"/v1/layouts/{second}", json={"isDefault": False}, headers=api.headers_a)
    assert cleared.status_code == 200 and cleared.json()["data"]["isDefault"] is False
    assert (await api.client.delete(f"/v1/layouts/{second}", headers=api.headers_a)).status_code == 204
    error(await api.client.get(f"/v1/layouts/{second}", headers=api.headers_a), 404)


async def test_content_is_checked_and_defaults_to_the_built_in_layout(native_api):
    api = native_api
    no_body = error(await api.client.post("/v1/layouts", json={"name": "x", "content": "<p>{{ subscriber.email }}</p>"},
                                          headers=api.headers_a), 400)
    assert no_body["errors"][0]["field"] == "content" and "{{ body }}" in no_body["errors"][0]["message"]
    typo = error(await api.client.post("/v1/layouts", json={"name": "x", "content": "{{ paylod.x }}{{ body }}"},
                                       headers=api.headers_a), 400)
    assert "paylod" in typo["errors"][0]["message"]
    built_in = await get(api, await create(api, {"name": "Starter"}))
    assert built_in["content"].startswith("<!DOCTYPE html>") and "{{ body }}" in built_in["content"]
    error(await api.client.post("/v1/layouts", json={"content": LAYOUT}, headers=api.headers_a), 422)


async def test_another_environment_sees_nothing(native_api):
    api = native_api
    layout = await create(api, {"name": "Mine", "identifier": "mine", "content": LAYOUT})
    for method, suffix in (("get", ""), ("patch", ""), ("delete", ""), ("post", "/default")):
        kwargs: dict[str, Any] = {"json": {"name": "theirs"}} if method == "patch" else {}
        response = await api.client.request(method.upper(), f"/v1/layouts/{layout}{suffix}", headers=api.headers_b,
                                            **kwargs)
        error(response, 404)
    listed = await api.client.get("/v1/layouts", headers=api.headers_b)
    assert listed.json()["totalCount"] == 0
    # The same identifier is free in the other environment.
    await create(api, {"name": "Theirs", "identifier": "mine", "content": LAYOUT}, headers=api.headers_b)


async def test_email_steps_name_existing_layouts_and_a_used_layout_stays(native_api):
    api = native_api
    unknown = await api.client.post("/v2/workflows", json=email_workflow("nope"), headers=api.headers_a)
    fields = {e["field"]: e["message"] for e in error(unknown, 400)["errors"]}
    assert "nope" in fields["steps[0].controlValues.layoutId"]

    layout = await create(api, {"name": "Used", "identifier": "used", "content": LAYOUT})
    saved = await api.client.post("/v2/workflows", json=email_workflow("used"), headers=api.headers_a)
    assert saved.status_code == 201, saved.text
    in_use = error(await api.client.delete(f"/v1/layouts/{layout}", headers=api.headers_a), 409)
    assert in_use["message"] == f"Layout with id {layout} is being used so it can not be deleted"

    # Another environment's layout is unknown here.
    other = await create(api, {"name": "Other", "identifier": "other", "content": LAYOUT}, headers=api.headers_b)
    error(await api.client.post("/v2/workflows", json=email_workflow(other, "x2"), headers=api.headers_a), 400)

    # null is kept as null: "no layout", which differs from leaving layoutId out ("the default").
    plain = await api.client.post("/v2/workflows", json=email_workflow(None, "plain"), headers=api.headers_a)
    assert plain.status_code == 201, plain.text
    controls = plain.json()["data"]["steps"][0]["controlValues"]
    assert "layoutId" in controls and controls["layoutId"] is None
    absent = await api.client.post("/v2/workflows", json=email_workflow(workflow_id="absent"), headers=api.headers_a)
    assert "layoutId" not in absent.json()["data"]["steps"][0]["controlValues"]
