"""Routes ``@novu/api`` calls that are views over what Clarion already stores: environments, a
subscriber's topic subscriptions, v2 layouts and v2 translations."""

from __future__ import annotations

from typing import Any


async def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if status != 204 else None


async def test_environments_list_only_the_keys_own(native_api) -> None:
    api = native_api
    listed = (await _ok(await api.client.get("/v1/environments", headers=api.headers_a)))["data"]
    # Another environment's application identifier and settings are not this key's to see.
    assert [e["_id"] for e in listed] == [str(api.tenancy.env_a.id)]
    me = (await _ok(await api.client.get("/v1/environments/me", headers=api.headers_a)))["data"]
    assert me["_id"] == str(api.tenancy.env_a.id) and me["identifier"] == me["slug"]
    assert [key for entry in listed for key, value in entry.items() if value is None] == []


async def test_a_subscribers_topic_subscriptions(native_api) -> None:
    api, h = native_api, native_api.headers_a
    await _ok(await api.client.post("/v2/subscribers", json={"subscriberId": "ada"}, headers=h), 201)
    for key in ("news", "billing", "ops"):
        await _ok(await api.client.post("/v2/topics", json={"key": key, "name": key.title()}, headers=h), 201)
    for key in ("news", "billing"):
        await _ok(await api.client.post(f"/v2/topics/{key}/subscriptions", json={"subscriberIds": ["ada"]},
                                        headers=h), 201)
    first = await _ok(await api.client.get("/v2/subscribers/ada/subscriptions?limit=1", headers=h))
    assert [s["topic"]["key"] for s in first["data"]] == ["billing"] and first["totalCount"] == 2
    assert first["previous"] is None and first["next"]
    second = await _ok(await api.client.get(f"/v2/subscribers/ada/subscriptions?limit=1&after={first['next']}",
                                            headers=h))
    assert [s["topic"]["key"] for s in second["data"]] == ["news"] and second["next"] is None
    assert second["data"][0]["subscriber"]["subscriberId"] == "ada"
    only = await _ok(await api.client.get("/v2/subscribers/ada/subscriptions?key=news", headers=h))
    assert [s["identifier"] for s in only["data"]] == ["tk_news:si_ada"]
    missing = await api.client.get("/v2/subscribers/nobody/subscriptions", headers=h)
    assert missing.status_code == 404


async def test_v2_layouts_are_the_same_layouts(native_api) -> None:
    api, h = native_api, native_api.headers_a
    created = (await _ok(await api.client.post("/v2/layouts", json={"layoutId": "brand", "name": "Brand"},
                                               headers=h), 201))["data"]
    assert (created["layoutId"], created["name"], created["isDefault"], created["type"]) == (
        "brand", "Brand", True, "REGULAR")
    assert "{{content}}" in created["controls"]["values"]["email"]["body"]
    body = "<html><body><div class=\"brand\">{{content}}</div></body></html>"
    updated = (await _ok(await api.client.put("/v2/layouts/brand", json={
        "name": "Brand 2", "isTranslationEnabled": False,
        "controlValues": {"email": {"body": body, "editorType": "html"}}}, headers=h)))["data"]
    assert updated["name"] == "Brand 2" and updated["controls"]["values"]["email"]["body"] == body
    v1 = (await _ok(await api.client.get("/v1/layouts/brand", headers=h)))["data"]
    assert v1["content"] == "<html><body><div class=\"brand\">{{ body }}</div></body></html>"
    listed = (await _ok(await api.client.get("/v2/layouts?limit=10&offset=0", headers=h)))["data"]
    assert listed["totalCount"] == 1 and [x["layoutId"] for x in listed["layouts"]] == ["brand"]
    bad = await api.client.put("/v2/layouts/brand", json={
        "name": "x", "controlValues": {"email": {"body": "<p>{{ paylod.x }}</p>{{content}}", "editorType": "html"}}},
        headers=h)
    assert bad.status_code == 400 and "paylod" in bad.text
    await _ok(await api.client.delete("/v2/layouts/brand", headers=h), 204)
    assert (await api.client.get("/v2/layouts/brand", headers=h)).status_code == 404


async def test_v2_translations_merge_into_the_locale_document(native_api) -> None:
    api, h = native_api, native_api.headers_a
    workflow = {"name": "Hi", "workflowId": "hi", "steps": [
        {"name": "Inbox", "type": "in_app", "controlValues": {"body": "{{ t.greeting }}"}}]}
    await _ok(await api.client.post("/v2/workflows", json=workflow, headers=h), 201)
    await _ok(await api.client.put("/v1/translations/en_US", json={"footer": "Bye"}, headers=h))
    body = {"resourceId": "hi", "resourceType": "workflow", "locale": "en-US", "content": {"greeting": "Hello"}}
    saved = (await _ok(await api.client.post("/v2/translations", json=body, headers=h)))["data"]
    assert (saved["resourceId"], saved["locale"], saved["content"]) == (
        "hi", "en_US", {"footer": "Bye", "greeting": "Hello"})
    got = (await _ok(await api.client.get("/v2/translations/workflow/hi/en_US", headers=h)))["data"]
    assert got["content"] == saved["content"]
    unknown = await api.client.post("/v2/translations", json={**body, "resourceId": "nope"}, headers=h)
    assert unknown.status_code == 404
    await _ok(await api.client.delete("/v2/translations/workflow/hi/en_US", headers=h), 204)
    assert (await api.client.get("/v2/translations/workflow/hi/en_US", headers=h)).status_code == 404
