"""The activity feed: GET /v1/notifications[/{id}] and GET /v1/execution-details, per environment."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from store.models import ExecutionDetail, Job, Notification, NotificationWorkflow, Subscriber
from tests.sdk import run_sdk, serve

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
NOVUPY = ROOT / ".venv-novupy"
CHANNELS = ["in_app", "email"]


@dataclass
class Feed:
    """What ``seed`` stored: A's notifications by transaction id, and the rows tests refer to."""

    notifications: dict[str, Notification]
    wf_welcome: NotificationWorkflow
    wf_hook: NotificationWorkflow
    ada: Subscriber
    first: Notification
    mail: Job
    foreign: Notification


def _notification(env_id, n: int, wf, sub, channels, **extra) -> Notification:
    return Notification(
        environment_id=env_id, transaction_id=f"tx-{n}", workflow_id=wf.id, workflow_identifier=wf.identifier,
        subscriber_pk=sub.id, subscriber_id=sub.subscriber_id, channels=channels, payload={"n": n},
        temporal_workflow_id=f"run-{n}", created_at=T0 + timedelta(minutes=n), updated_at=T0, **extra,
    )  # fmt: skip


async def seed(api) -> Feed:
    env_a, env_b = api.tenancy.env_a, api.tenancy.env_b
    async with api.sessions() as s, s.begin():
        ada = Subscriber(environment_id=env_a.id, subscriber_id="ada", email="ada@x.io", first_name="Ada")
        bob = Subscriber(environment_id=env_a.id, subscriber_id="bob", email="bob@x.io", phone="+100")
        eve = Subscriber(environment_id=env_b.id, subscriber_id="ada", email="ada@x.io")
        steps = [{"id": "inbox", "name": "Inbox", "type": "in_app"}, {"id": "mail", "type": "email", "active": False}]
        welcome = NotificationWorkflow(environment_id=env_a.id, identifier="welcome", name="Welcome", steps=steps,
                                       tags=["onboarding"])  # fmt: skip
        hook = NotificationWorkflow(environment_id=env_a.id, identifier="hook", name="Hook", steps=[])
        welcome_b = NotificationWorkflow(environment_id=env_b.id, identifier="welcome", name="Welcome B", steps=[])
        s.add_all([ada, bob, eve, welcome, hook, welcome_b])
        await s.flush()
        plan = [(0, welcome, ada), (1, welcome, bob), (2, hook, ada), (3, welcome, ada), (4, hook, bob)]
        notes = {
            f"tx-{n}": _notification(env_a.id, n, wf, sub, CHANNELS if wf is welcome else ["webhook"])
            for n, wf, sub in plan
        }
        foreign = _notification(env_b.id, 9, welcome_b, eve, CHANNELS)
        foreign.transaction_id = "tx-b-secret"
        s.add_all([*notes.values(), foreign])
        await s.flush()
        first = notes["tx-0"]
        inbox = Job(environment_id=env_a.id, notification_id=first.id, step_id="inbox", step_type="in_app",
                    status="completed", provider_id="in_app", created_at=T0)  # fmt: skip
        mail = Job(environment_id=env_a.id, notification_id=first.id, step_id="mail", step_type="email",
                   status="failed", provider_id="smtp", created_at=T0 + timedelta(seconds=1))  # fmt: skip
        s.add_all([inbox, mail])
        await s.flush()
        common = {"environment_id": env_a.id, "notification_id": first.id, "subscriber_id": "ada",
                  "transaction_id": "tx-0"}  # fmt: skip
        s.add_all([
            ExecutionDetail(**common, job_id=None, channel=None, status="pending", detail="Trigger accepted",
                            source="internal", created_at=T0),
            ExecutionDetail(**common, job_id=inbox.id, step_id="inbox", channel="in_app", status="success",
                            detail="Message created", source="internal", raw={"id": "m1"},
                            created_at=T0 + timedelta(seconds=2)),
            ExecutionDetail(**common, job_id=mail.id, step_id="mail", channel="email", status="failed",
                            detail="SMTP refused", source="credentials", provider_id="smtp",
                            created_at=T0 + timedelta(seconds=3)),
        ])  # fmt: skip
    return Feed(notes, welcome, hook, ada, first, mail, foreign)


async def _list(api, query: str = "", headers=None):
    response = await api.client.get(f"/v1/notifications{query}", headers=headers or api.headers_a)
    assert response.status_code == 200, response.text
    return response.json()


def _pick(item, *keys) -> tuple:
    return tuple(item.get(k) for k in keys)  # an absent optional field reads as None


def _txs(body) -> list[str]:
    return [item["transactionId"] for item in body["data"]]


async def test_lists_newest_first_in_zero_based_pages_accepting_float_numbers(native_api):
    await seed(native_api)
    body = await _list(native_api)
    assert _txs(body) == ["tx-4", "tx-3", "tx-2", "tx-1", "tx-0"]
    assert _pick(body, "page", "pageSize", "hasMore", "totalCount") == (0, 10, False, 5)
    first = await _list(native_api, "?page=0&limit=2")
    assert (_txs(first), first["hasMore"], first["totalCount"]) == (["tx-4", "tx-3"], True, 5)
    second = await _list(native_api, "?page=1.0&limit=2.0")
    assert (_txs(second), *_pick(second, "page", "pageSize", "hasMore")) == (["tx-2", "tx-1"], 1, 2, True)
    last = await _list(native_api, "?page=2&limit=2")
    assert (_txs(last), last["hasMore"]) == (["tx-0"], False)
    beyond = await _list(native_api, "?page=9&limit=2")
    assert (beyond["data"], beyond["hasMore"], beyond["totalCount"]) == ([], False, 5)


@pytest.mark.parametrize("query", ["?limit=0", "?limit=1001", "?page=-1", "?page=abc", "?limit=2.5"])
async def test_rejects_bad_paging_naming_the_field(native_api, query):
    response = await native_api.client.get(f"/v1/notifications{query}", headers=native_api.headers_a)
    assert response.status_code == 422
    field = query[1:].split("=")[0]
    assert list(response.json()["errors"]) == [field]


async def test_filters(native_api):
    feed = await seed(native_api)
    cases = {
        "?channels=email": ["tx-3", "tx-1", "tx-0"],
        "?channels=webhook&channels=email": ["tx-4", "tx-3", "tx-2", "tx-1", "tx-0"],
        "?channels=sms,webhook": ["tx-4", "tx-2"],
        "?channels=sms": [],
        "?templates=hook": ["tx-4", "tx-2"],
        f"?templates={feed.wf_welcome.id}": ["tx-3", "tx-1", "tx-0"],
        f"?templates={uuid.uuid4()}": [],
        "?subscriberIds=bob": ["tx-4", "tx-1"],
        "?emails=ada@x.io": ["tx-3", "tx-2", "tx-0"],
        "?transactionId=tx-2": ["tx-2"],
        "?search=tx-3": ["tx-3"],
        "?search=BO": ["tx-4", "tx-1"],
        "?search=%25": [],
        "?templates=welcome&subscriberIds=ada&channels=in_app&limit=1": ["tx-3"],
    }
    for query, expected in cases.items():
        assert _txs(await _list(native_api, query)) == expected, query


async def test_notification_shape_in_the_list(native_api):
    feed = await seed(native_api)
    settings = native_api.app.state.settings.temporal
    item = (await _list(native_api, "?transactionId=tx-2"))["data"][0]
    env, note = native_api.tenancy.env_a, feed.notifications["tx-2"]
    ids = (str(note.id), str(env.id), str(env.organization_id), str(feed.ada.id), str(feed.wf_hook.id))
    assert _pick(item, "_id", "_environmentId", "_organizationId", "_subscriberId", "_templateId") == ids
    assert _pick(item, "channels", "payload", "jobs") == (["http_request"], {"n": 2}, [])
    assert item["subscriber"] == {"_id": str(feed.ada.id), "subscriberId": "ada", "firstName": "Ada",
                                  "email": "ada@x.io"}  # fmt: skip
    assert item["template"] == {"_id": str(feed.wf_hook.id), "name": "Hook",
                                "triggers": [{"type": "event", "identifier": "hook", "variables": []}]}  # fmt: skip
    assert item["createdAt"].startswith("2026-01-01T12:02:00")
    assert item["temporalUrl"] == f"{settings.ui_url.rstrip('/')}/namespaces/{settings.namespace}/workflows/run-2"


async def test_detail_has_jobs_and_execution_details(native_api):
    feed = await seed(native_api)
    note = feed.first
    response = await native_api.client.get(f"/v1/notifications/{note.id}", headers=native_api.headers_a)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert _pick(data, "_id", "transactionId", "channels", "tags") == (str(note.id), "tx-0", CHANNELS, ["onboarding"])
    assert data["temporalUrl"].endswith("/workflows/run-0")
    inbox, mail = data["jobs"]
    assert _pick(inbox, "type", "status", "providerId") == ("in_app", "completed", "novu")
    assert inbox["step"] == {"_id": "inbox", "_templateId": "inbox", "active": True, "filters": [], "name": "Inbox"}
    assert _pick(inbox, "temporalUrl", "payload", "clarionProviderId") == (data["temporalUrl"], {"n": 0}, "in_app")
    [detail] = inbox["executionDetails"]
    assert _pick(detail, "status", "source", "detail") == ("Success", "Internal", "Message created")
    assert _pick(detail, "_jobId", "isRetry", "isTest") == (inbox["_id"], False, False)
    assert json.loads(detail["raw"]) == {"id": "m1"}
    assert _pick(mail, "_id", "type", "status", "providerId") == (str(feed.mail.id), "email", "failed", "nodemailer")
    assert mail["step"]["active"] is False
    [failure] = mail["executionDetails"]
    assert _pick(failure, "status", "source", "raw", "providerId") == ("Failed", "Credentials", None, "nodemailer")


async def test_detail_is_404_for_unknown_foreign_and_malformed_ids(native_api):
    feed = await seed(native_api)
    a, b = native_api.headers_a, native_api.headers_b
    for key, headers in [(uuid.uuid4(), a), ("nope", a), ("123", a), (feed.foreign.id, a), (feed.first.id, b)]:
        response = await native_api.client.get(f"/v1/notifications/{key}", headers=headers)
        assert response.status_code == 404, (key, response.text)
        assert _pick(response.json(), "statusCode", "path") == (404, f"/v1/notifications/{key}")
        assert response.json()["message"] == "Notification not found"  # echoes nothing of the caller's or A's


async def test_environment_b_never_sees_a(native_api):
    feed = await seed(native_api)
    body = await _list(native_api, headers=native_api.headers_b)
    assert (_txs(body), body["totalCount"]) == (["tx-b-secret"], 1)
    assert body["data"][0]["_environmentId"] == str(native_api.tenancy.env_b.id)
    for query in ["?templates=welcome", f"?templates={feed.wf_welcome.id}", "?transactionId=tx-0", "?search=tx"]:
        seen = await _list(native_api, query, headers=native_api.headers_b)
        assert all(item["transactionId"] == "tx-b-secret" for item in seen["data"]), query
        assert str(feed.first.id) not in json.dumps(seen)
    assert "tx-b-secret" not in json.dumps(await _list(native_api, "?limit=1000"))


async def _details(api, query: str, headers=None):
    return await api.client.get(f"/v1/execution-details{query}", headers=headers or api.headers_a)


async def test_execution_details(native_api):
    feed = await seed(native_api)
    note = feed.first
    by_id = await _details(native_api, f"?notificationId={note.id}&subscriberId=ada")
    assert by_id.status_code == 200, by_id.text
    data = by_id.json()["data"]
    assert [_pick(d, "detail", "channel", "status") for d in data] == [
        ("Trigger accepted", "trigger", "Pending"), ("Message created", "in_app", "Success"),
        ("SMTP refused", "email", "Failed"),
    ]  # fmt: skip
    trigger, _, failure = data
    assert (trigger["_jobId"], failure["_jobId"]) == ("", str(feed.mail.id))
    assert _pick(failure, "providerId", "clarionProviderId", "source") == ("nodemailer", "smtp", "Credentials")
    env = native_api.tenancy.env_a
    ids = (str(note.id), str(feed.wf_welcome.id), str(feed.ada.id), str(env.organization_id), str(env.id))
    assert _pick(failure, "_notificationId", "_notificationTemplateId", "_subscriberId", "_organizationId",
                 "_environmentId") == ids  # fmt: skip
    assert _pick(failure, "transactionId", "isTest", "isRetry") == ("tx-0", False, False)
    by_pk = await _details(native_api, f"?notificationId={note.id}&subscriberId={feed.ada.id}")
    assert by_pk.json()["data"] == data
    for query, headers in [(f"{note.id}&subscriberId=bob", None), (f"{note.id}&subscriberId=ada", native_api.headers_b),
                           (f"{uuid.uuid4()}&subscriberId=ada", None), ("nope&subscriberId=ada", None)]:  # fmt: skip
        response = await _details(native_api, f"?notificationId={query}", headers)
        assert (response.status_code, response.json()) == (200, {"data": []}), query
    # Both ids are required, and a missing one is named the way Novu names it.
    for query, missing in [("", {"notificationId", "subscriberId"}), ("?subscriberId=ada", {"notificationId"}),
                           (f"?notificationId={note.id}", {"subscriberId"})]:  # fmt: skip
        response = await _details(native_api, query)
        assert (response.status_code, set(response.json()["errors"])) == (422, missing), query


SDK_SCRIPT = """
import json, sys
from novu_py import Novu
from novu_py.utils import BackoffStrategy, RetryConfig
url, key, notification_id, workflow_id = sys.argv[1:]
no_retry = RetryConfig("none", BackoffStrategy(1, 1, 1, 1), False)
with Novu(server_url=url, secret_key=key, retry_config=no_retry) as novu:
    query = {"channels": ["in_app", "email"], "templates": [workflow_id], "subscriber_ids": ["ada", "bob"], "limit": 2}
    page = novu.notifications.list(request=query).result
    one = novu.notifications.retrieve(notification_id=notification_id).result
print(json.dumps({
    "list": [n.transaction_id for n in page.data], "has_more": page.has_more, "page_size": page.page_size,
    "id": one.id, "jobs": [(j.type.value, j.status, j.provider_id.value) for j in one.jobs],
    "details": [[d.status.value for d in j.execution_details] for j in one.jobs],
    "subscriber": one.subscriber.subscriber_id, "trigger": one.template.triggers[0].identifier,
}))
"""


async def test_novu_py_sdk_parses_the_feed(native_api):
    feed = await seed(native_api)
    async with serve(native_api.app) as url:
        args = [url, native_api.tenancy.key_a, str(feed.first.id), str(feed.wf_welcome.id)]
        out = await run_sdk("novu-py", SDK_SCRIPT, *args)
    assert out == {
        "list": ["tx-3", "tx-1"], "has_more": True, "page_size": 2, "id": str(feed.first.id),
        "jobs": [["in_app", "completed", "novu"], ["email", "failed", "nodemailer"]],
        "details": [["Success"], ["Failed"]], "subscriber": "ada", "trigger": "welcome",
    }  # fmt: skip


async def test_a_huge_page_number_is_refused_not_a_crash(native_api):
    response = await native_api.client.get("/v1/notifications?page=99999999999999999999", headers=native_api.headers_a)
    assert response.status_code == 422
