"""Clarion's ``/v1/translations`` over HTTP: documents per locale, the fallback locale, checks, isolation."""

from __future__ import annotations

from typing import Any

MESSAGES = {"greeting": "Hello {name}", "order": {"shipped": "Your order shipped", "count": 3}}


def error(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status and body["message"] and body["path"]
    return dict(body)


async def test_documents_per_locale_round_trip(native_api):
    api = native_api
    put = await api.client.put("/v1/translations/en_US", json=MESSAGES, headers=api.headers_a)
    assert put.status_code == 200, put.text
    assert (put.json()["data"]["locale"], put.json()["data"]["keyCount"]) == ("en_US", 3)
    # en-us names the same document, which the PUT replaces as a whole.
    replaced = await api.client.put("/v1/translations/en-us", json={"greeting": "Hi {name}"}, headers=api.headers_a)
    assert replaced.json()["data"]["locale"] == "en_US" and replaced.json()["data"]["keyCount"] == 1
    await api.client.put("/v1/translations/de", json={"greeting": "Hallo {name}"}, headers=api.headers_a)

    got = await api.client.get("/v1/translations/EN_us", headers=api.headers_a)
    assert got.status_code == 200 and got.json()["data"]["translations"] == {"greeting": "Hi {name}"}
    listed = await api.client.get("/v1/translations", headers=api.headers_a)
    assert [(row["locale"], row["keyCount"]) for row in listed.json()["data"]] == [("de", 1), ("en_US", 1)]

    assert (await api.client.delete("/v1/translations/de", headers=api.headers_a)).status_code == 204
    error(await api.client.get("/v1/translations/de", headers=api.headers_a), 404)
    error(await api.client.delete("/v1/translations/de", headers=api.headers_a), 404)


async def test_bad_locales_and_documents_are_400s_naming_the_problem(native_api):
    api = native_api
    bad_locale = error(await api.client.put("/v1/translations/english", json=MESSAGES, headers=api.headers_a), 400)
    assert bad_locale["errors"][0]["field"] == "locale"
    bad_leaf = error(await api.client.put("/v1/translations/fr", json={"a": {"b": ["x"]}, "c": None},
                                          headers=api.headers_a), 400)
    assert {e["field"] for e in bad_leaf["errors"]} == {"a.b", "c"}
    error(await api.client.put("/v1/translations/fr", json=["x"], headers=api.headers_a), 400)
    error(await api.client.put("/v1/translations/fr", content=b"{nope", headers=api.headers_a), 400)
    error(await api.client.get("/v1/translations/fr", headers=api.headers_a), 404)


async def test_fallback_locale_setting(native_api):
    api = native_api
    default = await api.client.get("/v1/translations/settings", headers=api.headers_a)
    assert default.status_code == 200 and default.json()["data"] == {"fallbackLocale": "en_US"}
    put = await api.client.put("/v1/translations/settings", json={"fallbackLocale": "de-at"}, headers=api.headers_a)
    assert put.status_code == 200 and put.json()["data"] == {"fallbackLocale": "de_AT"}
    again = await api.client.put("/v1/translations/settings", json={"fallbackLocale": "fr"}, headers=api.headers_a)
    assert again.json()["data"] == {"fallbackLocale": "fr"}
    assert (await api.client.get("/v1/translations/settings", headers=api.headers_a)).json()["data"] == \
        {"fallbackLocale": "fr"}
    error(await api.client.put("/v1/translations/settings", json={"fallbackLocale": "nope!"}, headers=api.headers_a),
          400)
    error(await api.client.put("/v1/translations/settings", json={}, headers=api.headers_a), 400)
    other = await api.client.get("/v1/translations/settings", headers=api.headers_b)
    assert other.json()["data"] == {"fallbackLocale": "en_US"}


async def test_environments_are_isolated(native_api):
    api = native_api
    await api.client.put("/v1/translations/en", json=MESSAGES, headers=api.headers_a)
    error(await api.client.get("/v1/translations/en", headers=api.headers_b), 404)
    assert (await api.client.get("/v1/translations", headers=api.headers_b)).json()["data"] == []
    error(await api.client.delete("/v1/translations/en", headers=api.headers_b), 404)
    assert (await api.client.get("/v1/translations/en", headers=api.headers_a)).status_code == 200


async def test_translator_misuse_is_refused_when_a_workflow_is_saved(native_api):
    api = native_api

    def workflow(body: str) -> dict[str, Any]:
        step = {"name": "Inbox", "stepId": "inbox", "type": "in_app", "controlValues": {"body": body},
                "templateSyntax": "jinja"}
        return {"name": "T", "workflowId": "t", "steps": [step]}

    for body in ("{{ t }}", "{{ t('a', 'b') }}", "{{ t() }}"):
        response = await api.client.post("/v2/workflows", json=workflow(body), headers=api.headers_a)
        fields = {e["field"]: e["message"] for e in error(response, 400)["errors"]}
        assert "t" in fields["steps[0].controlValues.body"], body
    ok = await api.client.post("/v2/workflows", json=workflow("{{ t('greeting', name=subscriber.firstName) }}"),
                               headers=api.headers_a)
    assert ok.status_code == 201, ok.text
