"""Subscriber preferences over v1 and v2: effective values, critical/read-only refusals, isolation, both SDKs."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

import pytest

from activities.preferences import channel_allowed
from clarion.seed import WELCOME_STEPS
from core import preferences as preference_rule
from core.payloads import StepSpec, WorkflowSnapshot
from store import subscribers
from store import workflows as workflow_store
from store.models import NotificationWorkflow, SubscriberPreference
from tests.sdk import run_sdk, serve

FIVE = {"in_app", "email", "sms", "chat", "push"}
SMS_STEP = {"id": "text", "name": "Text", "type": "sms", "active": True, "controls": {"body": "hi"}}
READ_ONLY = {"all": {"enabled": True, "readOnly": True}, "channels": {"email": {"enabled": False}}}


@dataclass
class Seeded:
    welcome: uuid.UUID
    digest: uuid.UUID
    security: uuid.UUID
    billing: uuid.UUID


async def seed(api, env: uuid.UUID | None = None) -> Seeded:
    """Subscribers ann and bob; welcome and digest (plain), security (critical), billing (read-only), old (inactive)."""
    env = env or api.tenancy.env_a.id
    async with api.sessions() as session, session.begin():
        await subscribers.upsert_many(session=session, environment_id=env,
                                      profiles={"ann": {"email": "ann@example.test"}, "bob": {}})
        ids = {}
        for identifier, values in [
            ("welcome", {"name": "Welcome", "steps": WELCOME_STEPS}),
            ("digest", {"name": "Digest", "steps": [SMS_STEP], "tags": ["news"]}),
            ("security", {"name": "Security", "steps": WELCOME_STEPS, "critical": True}),
            ("billing", {"name": "Billing", "steps": WELCOME_STEPS, "preferences": READ_ONLY}),
            ("old", {"name": "Old", "steps": WELCOME_STEPS, "active": False}),
        ]:
            row = await workflow_store.upsert(session=session, environment_id=env, identifier=identifier, values=values)
            ids[identifier] = row.id
    return Seeded(ids["welcome"], ids["digest"], ids["security"], ids["billing"])


def by_trigger(items):
    return {item["template"]["triggers"][0]: item for item in items}


def by_identifier(items):
    return {item["workflow"]["identifier"]: item for item in items}


async def v1_list(api, subscriber="ann", headers=None):
    response = await api.client.get(f"/v1/subscribers/{subscriber}/preferences", headers=headers or api.headers_a)
    assert response.status_code == 200, response.text
    return by_trigger(response.json()["data"])


async def v2_get(api, subscriber="ann", **params):
    response = await api.client.get(f"/v2/subscribers/{subscriber}/preferences", params=params,
                                    headers=api.headers_a)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def field_errors(response, status=400):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status and body["path"]
    return {e["field"]: e["message"] for e in body["errors"]}, body["message"]


async def test_v1_list_reports_defaults_and_flags_critical_workflows(native_api):
    ids = await seed(native_api)
    listed = await v1_list(native_api)
    assert set(listed) == {"welcome", "digest", "security", "billing"}  # the inactive one is not listed
    welcome = listed["welcome"]
    assert welcome["template"] == {"_id": str(ids.welcome), "name": "Welcome", "critical": False,
                                   "triggers": ["welcome"], "tags": []}
    assert welcome["preference"]["enabled"] is True
    assert welcome["preference"]["channels"] == dict.fromkeys(FIVE, True)
    assert {o["source"] for o in welcome["preference"]["overrides"]} == {"template"}
    assert listed["security"]["template"]["critical"] is True
    assert listed["billing"]["template"]["critical"] is True  # read-only counts as critical for the subscriber
    assert listed["billing"]["preference"]["channels"]["email"] is False  # the workflow's default


async def test_v1_channel_switch_and_workflow_state_by_identifier_and_id(native_api):
    api = native_api
    ids = await seed(api)
    url = "/v1/subscribers/ann/preferences"
    switched = await api.client.patch(f"{url}/welcome", json={"channel": {"type": "email", "enabled": False}},
                                      headers=api.headers_a)
    assert switched.status_code == 200, switched.text
    preference = switched.json()["data"]["preference"]
    assert preference["enabled"] is True
    assert preference["channels"] == {**dict.fromkeys(FIVE, True), "email": False}
    assert {o["channel"]: o["source"] for o in preference["overrides"]}["email"] == "subscriber"
    assert switched.json()["data"]["template"]["_id"] == str(ids.welcome)

    off = await api.client.patch(f"{url}/{ids.welcome}", json={"enabled": False}, headers=api.headers_a)
    assert off.status_code == 200, off.text
    assert off.json()["data"]["preference"]["enabled"] is False
    assert set(off.json()["data"]["preference"]["channels"].values()) == {False}
    listed = await v1_list(api)
    assert listed["welcome"]["preference"]["enabled"] is False
    assert listed["digest"]["preference"]["channels"] == dict.fromkeys(FIVE, True)  # other workflows untouched
    assert (await v1_list(api, "bob"))["welcome"]["preference"]["enabled"] is True  # other subscribers too

    back = await api.client.patch(f"{url}/welcome", json={"enabled": True}, headers=api.headers_a)
    assert back.json()["data"]["preference"]["channels"] == {**dict.fromkeys(FIVE, True), "email": False}


async def test_v1_global_switches_apply_below_workflow_rows(native_api):
    api = native_api
    await seed(api)
    response = await api.client.patch("/v1/subscribers/ann/preferences",
                                      json={"preferences": [{"type": "sms", "enabled": False}]}, headers=api.headers_a)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["preference"] == {
        "enabled": True, "channels": {**dict.fromkeys(FIVE, True), "sms": False}, "overrides": [],
    }
    await api.client.patch("/v1/subscribers/ann/preferences/digest", json={"channel": {"type": "sms", "enabled": True}},
                           headers=api.headers_a)
    listed = await v1_list(api)
    assert listed["welcome"]["preference"]["channels"]["sms"] is False  # from the global row
    assert listed["digest"]["preference"]["channels"]["sms"] is True  # the workflow row wins
    assert listed["security"]["preference"]["channels"]["sms"] is True  # critical: defaults only

    off = await api.client.patch("/v1/subscribers/bob/preferences", json={"enabled": False}, headers=api.headers_a)
    assert off.json()["data"]["preference"]["enabled"] is False
    assert set((await v1_list(api, "bob"))["welcome"]["preference"]["channels"].values()) == {False}
    assert (await v2_get(api, "bob"))["global"]["enabled"] is False


async def test_critical_and_read_only_preferences_cannot_be_changed(native_api):
    api = native_api
    ids = await seed(api)
    for key in ("security", str(ids.security)):
        fields, message = field_errors(await api.client.patch(
            f"/v1/subscribers/ann/preferences/{key}", json={"enabled": False}, headers=api.headers_a))
        assert "Critical workflow" in message and "workflowId" in fields
    fields, message = field_errors(await api.client.patch(
        "/v1/subscribers/ann/preferences/billing", json={"channel": {"type": "email", "enabled": True}},
        headers=api.headers_a))
    assert "read-only" in message and "workflowId" in fields
    fields, _ = field_errors(await api.client.patch(
        "/v2/subscribers/ann/preferences", json={"workflowId": "billing", "channels": {"email": True}},
        headers=api.headers_a))
    assert "workflowId" in fields
    # A bulk with one refused item changes nothing.
    fields, _ = field_errors(await api.client.patch("/v2/subscribers/ann/preferences/bulk", json={"preferences": [
        {"workflowId": "welcome", "channels": {"email": False}},
        {"workflowId": "security", "channels": {"email": False}},
    ]}, headers=api.headers_a))
    assert "preferences.1.workflowId" in fields
    listed = await v1_list(api)
    assert listed["welcome"]["preference"]["channels"]["email"] is True
    assert listed["security"]["preference"]["channels"]["email"] is True
    fields, _ = field_errors(await api.client.patch(
        "/v1/subscribers/ann/preferences/welcome", json={}, headers=api.headers_a))
    assert "channel" in fields
    empty = await api.client.patch("/v1/subscribers/ann/preferences", json={}, headers=api.headers_a)
    assert empty.status_code == 400
    too_many = {"preferences": [{"workflowId": "welcome", "channels": {}}] * 101}
    response = await api.client.patch("/v2/subscribers/ann/preferences/bulk", json=too_many, headers=api.headers_a)
    assert response.status_code == 422


async def test_v2_get_filters_by_criticality_and_lists_step_channels(native_api):
    api = native_api
    await seed(api)
    data = await v2_get(api)
    assert data["global"] == {"enabled": True, "channels": dict.fromkeys(FIVE, True)}
    workflows = by_identifier(data["workflows"])
    assert set(workflows) == {"welcome", "digest"}
    assert workflows["welcome"]["channels"] == {"in_app": True, "email": True}
    assert workflows["digest"]["channels"] == {"sms": True}
    assert workflows["welcome"]["workflow"]["name"] == "Welcome" and workflows["welcome"]["workflow"]["slug"]
    assert "updatedAt" not in workflows["welcome"]  # never set by the subscriber
    assert set(by_identifier((await v2_get(api, criticality="critical"))["workflows"])) == {"security", "billing"}
    assert len((await v2_get(api, criticality="all"))["workflows"]) == 4
    bad = await api.client.get("/v2/subscribers/ann/preferences?criticality=loud", headers=api.headers_a)
    assert bad.status_code == 422


async def test_v2_patch_by_identifier_by_id_and_global(native_api):
    api = native_api
    ids = await seed(api)
    url = "/v2/subscribers/ann/preferences"
    response = await api.client.patch(url, json={"workflowId": "welcome", "channels": {"in_app": False}},
                                      headers=api.headers_a)
    assert response.status_code == 200, response.text
    welcome = by_identifier(response.json()["data"]["workflows"])["welcome"]
    assert welcome["channels"] == {"in_app": False, "email": True} and welcome["updatedAt"]
    assert {o["channel"]: o["source"] for o in welcome["overrides"]} == {"in_app": "subscriber", "email": "template"}

    response = await api.client.patch(url, json={"workflowId": str(ids.welcome), "channels": {"email": False}},
                                      headers=api.headers_a)
    assert by_identifier(response.json()["data"]["workflows"])["welcome"]["channels"] == {"in_app": False,
                                                                                          "email": False}
    response = await api.client.patch(url, json={"channels": {"sms": False, "tool": False}}, headers=api.headers_a)
    data = response.json()["data"]
    assert data["global"]["channels"] == {**dict.fromkeys(FIVE, True), "sms": False}
    assert by_identifier(data["workflows"])["digest"]["channels"] == {"sms": False}
    assert (await v1_list(api))["welcome"]["preference"]["channels"]["in_app"] is False

    missing = await api.client.patch(url, json={"workflowId": "nope", "channels": {"sms": False}},
                                     headers=api.headers_a)
    assert missing.status_code == 404


async def test_v2_bulk_update(native_api):
    api = native_api
    ids = await seed(api)
    response = await api.client.patch("/v2/subscribers/ann/preferences/bulk", json={"preferences": [
        {"workflowId": "welcome", "channels": {"email": False}},
        {"workflowId": str(ids.digest), "channels": {"sms": False}},
    ]}, headers=api.headers_a)
    assert response.status_code == 200, response.text
    welcome, digest = response.json()["data"]
    assert welcome["level"] == "template" and welcome["enabled"] is True
    assert welcome["channels"] == {**dict.fromkeys(FIVE, True), "email": False}
    assert welcome["workflow"] == {"id": str(ids.welcome), "identifier": "welcome", "name": "Welcome",
                                   "critical": False, "severity": "none", "tags": []}
    assert digest["channels"]["sms"] is False and digest["workflow"]["tags"] == ["news"]
    assert by_identifier((await v2_get(api))["workflows"])["digest"]["channels"] == {"sms": False}


async def test_unknown_subscriber_or_workflow_is_404_and_environments_are_isolated(native_api):
    api = native_api
    await seed(api)
    await seed(api, api.tenancy.env_b.id)
    calls = [
        ("GET", "/v1/subscribers/{s}/preferences", None),
        ("PATCH", "/v1/subscribers/{s}/preferences", {"enabled": False}),
        ("PATCH", "/v1/subscribers/{s}/preferences/welcome", {"enabled": False}),
        ("GET", "/v2/subscribers/{s}/preferences", None),
        ("PATCH", "/v2/subscribers/{s}/preferences", {"channels": {"email": False}}),
        ("PATCH", "/v2/subscribers/{s}/preferences/bulk", {"preferences": [{"workflowId": "welcome",
                                                                            "channels": {"email": False}}]}),
    ]
    for method, path, body in calls:
        response = await api.client.request(method, path.format(s="nobody"), json=body, headers=api.headers_a)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["message"] == "Subscriber not found"
    async with api.sessions() as session, session.begin():
        await subscribers.upsert_many(session=session, environment_id=api.tenancy.env_a.id, profiles={"only-a": {}})
        a_workflow = await workflow_store.get_by_identifier(session=session, environment_id=api.tenancy.env_a.id,
                                                            identifier="welcome")
    for method, path, body in calls:  # key B cannot see A's subscriber
        response = await api.client.request(method, path.format(s="only-a"), json=body, headers=api.headers_b)
        assert response.status_code == 404, (method, path)
    # B's own subscriber cannot name A's workflow by its id.
    response = await api.client.patch(f"/v1/subscribers/ann/preferences/{a_workflow.id}", json={"enabled": False},
                                      headers=api.headers_b)
    assert response.status_code == 404
    # A change through key B leaves A's same-named subscriber alone.
    await api.client.patch("/v1/subscribers/ann/preferences/welcome", json={"enabled": False}, headers=api.headers_b)
    assert (await v1_list(api))["welcome"]["preference"]["enabled"] is True
    assert (await v1_list(api, headers=api.headers_b))["welcome"]["preference"]["enabled"] is False


CASES = [None, (True, {}), (False, {}), (True, {"email": False}), (True, {"email": True}), (False, {"email": True})]


@pytest.mark.parametrize("critical, defaults", [
    (False, {}), (True, {}), (False, READ_ONLY), (False, {"all": {"enabled": False}}),
    (False, {"channels": {"email": {"enabled": False}}}),
])
def test_reported_values_are_the_send_time_decision(critical, defaults):
    workflow = NotificationWorkflow(id=uuid.uuid4(), identifier="w", name="W", critical=critical, preferences=defaults,
                                    steps=[])
    snapshot = WorkflowSnapshot(id=str(workflow.id), identifier="w", name="W", critical=critical,
                                preferences=defaults, steps=[StepSpec(id="s", type="email")])

    def row(case):
        return None if case is None else SubscriberPreference(enabled=case[0], channels=case[1])

    for global_case, workflow_case in itertools.product(CASES, CASES):
        global_row, workflow_row = row(global_case), row(workflow_case)
        resolved = preference_rule.resolve(workflow, global_row=global_row, workflow_row=workflow_row)
        for channel in ("email", "sms"):
            allowed, _ = channel_allowed(channel, workflow=snapshot, global_row=global_row, workflow_row=workflow_row)
            assert resolved.channels[channel] is allowed, (critical, defaults, global_case, workflow_case, channel)


NOVU_PY_SCRIPT = r"""
import json, sys
from novu_py import Novu
from novu_py.utils import BackoffStrategy, RetryConfig

url, key, welcome_id = sys.argv[1:4]
out = {}
with Novu(server_url=url, secret_key=key,
          retry_config=RetryConfig("none", BackoffStrategy(1, 1, 1, 1), False)) as client:
    prefs = client.subscribers.preferences
    listed = prefs.list(subscriber_id="ann").result
    out["listed"] = listed.model_dump(mode="json", by_alias=True)
    out["critical"] = prefs.list(subscriber_id="ann", criticality="critical").result.model_dump(
        mode="json", by_alias=True)
    out["by_id"] = prefs.update(subscriber_id="ann", patch_subscriber_preferences_dto={
        "workflow_id": welcome_id, "channels": {"in_app": False}}).result.model_dump(mode="json", by_alias=True)
    out["global"] = prefs.update(subscriber_id="ann", patch_subscriber_preferences_dto={
        "channels": {"sms": False}}).result.model_dump(mode="json", by_alias=True)
    bulk = prefs.bulk_update(subscriber_id="ann", bulk_update_subscriber_preferences_dto={"preferences": [
        {"workflow_id": "welcome", "channels": {"email": False}}, {"workflow_id": "digest", "channels": {"sms": True}},
    ]}).result
    out["bulk"] = [item.model_dump(mode="json", by_alias=True) for item in bulk]
    try:
        prefs.update(subscriber_id="ann", patch_subscriber_preferences_dto={
            "workflow_id": "security", "channels": {"email": False}})
    except Exception as exc:
        out["critical_error"] = [type(exc).__name__, exc.status_code]
    try:
        prefs.list(subscriber_id="nobody")
    except Exception as exc:
        out["missing"] = [type(exc).__name__, exc.status_code]
print(json.dumps(out))
"""


async def test_novu_py_sdk_drives_v2_preferences(native_api):
    ids = await seed(native_api)
    async with serve(native_api.app) as url:
        out = await run_sdk("novu-py", NOVU_PY_SCRIPT, url, native_api.tenancy.key_a, str(ids.welcome))
    assert by_identifier(out["listed"]["workflows"]).keys() == {"welcome", "digest"}
    assert out["listed"]["global"]["enabled"] is True
    assert by_identifier(out["critical"]["workflows"]).keys() == {"security", "billing"}
    assert by_identifier(out["by_id"]["workflows"])["welcome"]["channels"] == {"in_app": False, "email": True}
    assert out["global"]["global"]["channels"]["sms"] is False
    assert by_identifier(out["global"]["workflows"])["digest"]["channels"] == {"sms": False}
    welcome, digest = out["bulk"]
    assert welcome["level"] == "template" and welcome["workflow"]["identifier"] == "welcome"
    assert welcome["channels"]["email"] is False and welcome["channels"]["in_app"] is False
    assert digest["channels"]["sms"] is True
    assert out["critical_error"] == ["ErrorDto", 400]
    assert out["missing"] == ["ErrorDto", 404]
    assert (await v1_list(native_api))["welcome"]["preference"]["channels"]["email"] is False


NOVU_SCRIPT = r"""
import json, sys
from novu.api import SubscriberApi

url, key, digest_id = sys.argv[1:4]
api = SubscriberApi(url=url, api_key=key, requests_timeout=60)  # the default 5 s is short on a loaded test machine
out = {}
listed = list(api.preferences("ann"))
out["listed"] = {p.template.name: [p.template._id, p.template.critical, p.preference.enabled,
                                   p.preference.channels.email] for p in listed}
changed = api.change_channel_preference("ann", "welcome", "email", False)
out["changed"] = [changed.template.name, changed.preference.enabled, changed.preference.channels.email,
                  changed.preference.channels.in_app]
state = api.change_preference_state("ann", digest_id, False)
out["state"] = [state.template.name, state.preference.enabled, state.preference.channels.sms]
out["after"] = {p.template.name: [p.preference.enabled, p.preference.channels.email]
                for p in api.preferences("ann")}
try:
    api.change_preference_state("ann", "security", False)
except Exception as exc:
    out["critical_error"] = exc.response.status_code
print(json.dumps(out))
"""


async def test_novu_v1_sdk_drives_v1_preferences(native_api):
    ids = await seed(native_api)
    async with serve(native_api.app) as url:
        out = await run_sdk("novu", NOVU_SCRIPT, url, native_api.tenancy.key_a, str(ids.digest))
    assert out["listed"] == {
        "Welcome": [str(ids.welcome), False, True, True], "Digest": [str(ids.digest), False, True, True],
        "Security": [str(ids.security), True, True, True], "Billing": [str(ids.billing), True, True, False],
    }
    assert out["changed"] == ["Welcome", True, False, True]
    assert out["state"] == ["Digest", False, False]
    assert out["after"]["Welcome"] == [True, False] and out["after"]["Digest"] == [False, False]
    assert out["critical_error"] == 400
