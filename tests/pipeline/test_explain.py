"""Explain: each reason a notification did (not) arrive, with its evidence, on a real Temporal server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import AsyncEngine

from api.novu.schemas.explain import Explanation
from clarion.operate import explain_command, render_explanation
from core.settings import DatabaseSettings
from tests.pipeline.conftest import Mailbox, Pipeline
from tests.pipeline.factories import add_subscribers, add_topic, add_workflow, set_preference
from tests.pipeline.flow_helpers import create_workflow, digest_done, inbox, trigger

INBOX = {"id": "inbox", "type": "in_app", "active": True, "controls": {"body": "Hi {{ payload.n }}"}}
MAIL = {"id": "mail", "type": "email", "active": True, "controls": {"subject": "Hi", "body": "<p>Hello</p>"}}


async def explain(p: Pipeline, tx: str, subscriber: str | None = None, status: int = 200) -> dict[str, Any]:
    params = {"transactionId": tx} | ({"subscriberId": subscriber} if subscriber else {})
    response = await p.client.get("/v1/notifications/explain", params=params, headers=p.headers)
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body if status != 200 else body["data"]


def recipient(data: dict[str, Any], subscriber_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in data["recipients"] if r["subscriberId"] == subscriber_id)
    return found


def stage(r: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [e for e in r["timeline"] if e["stage"] == name]


async def test_sent_and_a_subscriber_workflow_switch_are_explained(pipeline: Pipeline) -> None:
    env = pipeline.tenancy.env_a.id
    await add_subscribers(pipeline.sessions, env, ["ada", "bob"], email=True)
    wf = await add_workflow(pipeline.sessions, env, "news", steps=[INBOX, MAIL])
    await set_preference(pipeline.sessions, env, "bob", workflow_id=wf, channels={"email": False})
    await pipeline.trigger({"name": "news", "to": ["ada", "bob"], "payload": {"n": 1}, "transactionId": "tx-pref"})
    await pipeline.finish("tx-pref")
    data = await explain(pipeline, "tx-pref")
    assert (data["workflowIdentifier"], data["status"]) == ("news", "completed")
    assert data["summary"] == "2 recipient(s): 1 sent, 1 partially sent"
    ada, bob = recipient(data, "ada"), recipient(data, "bob")
    assert ada["outcome"] == "sent" and "email by smtp" in ada["summary"]
    [attempt] = [e for e in stage(ada, "attempt") if e["channel"] == "email"]
    assert attempt["status"] == "success" and attempt["evidence"]["providerId"] == "smtp"
    assert isinstance(attempt["evidence"]["durationMs"], int)
    assert bob["outcome"] == "partially_sent"
    assert "not on the others: the subscriber switched email off for workflow 'news' on 20" in bob["summary"]
    [decided] = stage(bob, "preference")
    assert decided["evidence"]["rule"] == "subscriber workflow switch" and decided["evidence"]["switchedAt"]
    assert stage(bob, "recipient")[0]["decision"] == "Resolved directly: listed in the trigger's 'to'"
    assert bob["timeline"][0]["decision"] == "Trigger accepted: workflow 'news' is active"
    assert [s["status"] for s in bob["steps"]] == ["completed", "skipped"]
    [run] = bob["runs"]
    assert run["role"] == "trigger" and run["url"].endswith(f"/workflows/trigger%3A{env}%3Atx-pref")
    one = await explain(pipeline, "tx-pref", "bob")
    assert [r["subscriberId"] for r in one["recipients"]] == ["bob"]


async def test_global_switch_and_critical_workflow_rules_are_named(pipeline: Pipeline) -> None:
    env = pipeline.tenancy.env_a.id
    await add_subscribers(pipeline.sessions, env, ["cy"], email=True)
    await set_preference(pipeline.sessions, env, "cy", channels={"email": False})
    await add_workflow(pipeline.sessions, env, "mailer", steps=[MAIL],
                       preferences={"channels": {"email": {"enabled": False}}})
    await add_workflow(pipeline.sessions, env, "alarm", steps=[MAIL], critical=True,
                       preferences={"channels": {"email": {"enabled": False}}})
    await trigger(pipeline, "mailer", "tx-global", {})
    await trigger(pipeline, "alarm", "tx-critical", {}, to="cy")
    await pipeline.finish("tx-global")
    await pipeline.finish("tx-critical")
    # "ada" in the first trigger (the default ``to``) has no preference rows: the workflow default decides.
    cy = recipient(await explain(pipeline, "tx-critical"), "cy")
    assert cy["summary"] == "not sent: critical workflow 'alarm' has email off in its own defaults"
    assert stage(cy, "preference")[0]["evidence"] | {"switchedAt": None} == {
        "rule": "critical", "channel": "email", "workflow": "alarm", "locked": True, "switchedAt": None}
    ada = recipient(await explain(pipeline, "tx-global"), "ada")
    assert ada["summary"] == "not sent: workflow 'mailer' has email off by default"
    assert stage(ada, "preference")[0]["evidence"]["rule"] == "workflow default"
    await trigger(pipeline, "mailer", "tx-global-cy", {}, to="cy")
    await pipeline.finish("tx-global-cy")
    cy = recipient(await explain(pipeline, "tx-global-cy"), "cy")
    assert cy["summary"].startswith("not sent: the subscriber switched email off for all workflows on 20")


async def test_a_condition_shows_the_values_it_compared(pipeline: Pipeline) -> None:
    rule = {"field": "payload.count", "op": ">", "value": 3}
    await create_workflow(pipeline, "vip", [inbox("hello", conditions=rule)])
    await trigger(pipeline, "vip", "tx-cond", {"count": 1})
    await pipeline.finish("tx-cond")
    ada = recipient(await explain(pipeline, "tx-cond"), "ada")
    assert ada["outcome"] == "not_sent"
    assert ada["summary"] == ("not sent: step 'inbox' skipped: "
                              "condition payload.count > 3 was false (payload.count was 1)")
    [entry] = stage(ada, "condition")
    assert entry["evidence"]["conditions"] == [
        {"field": "payload.count", "op": ">", "expected": 3, "actual": 1, "defined": True, "passed": False}
    ]


async def test_throttle_names_its_window_and_limit(pipeline: Pipeline) -> None:
    throttle = {"name": "Throttle", "type": "throttle", "controlValues": {"threshold": 1, "amount": 1, "unit": "hours"}}
    await create_workflow(pipeline, "pings", [throttle, inbox("ping")])
    for tx in ("tx-th1", "tx-th2"):
        await trigger(pipeline, "pings", tx, {})
        await pipeline.finish(tx)
    assert recipient(await explain(pipeline, "tx-th1"), "ada")["outcome"] == "sent"
    ada = recipient(await explain(pipeline, "tx-th2"), "ada")
    assert ada["summary"] == "not sent: throttled by step 'throttle': the limit of 1 per 3600s was reached"
    [entry] = stage(ada, "throttle")
    assert (entry["evidence"]["limit"], entry["evidence"]["windowSeconds"]) == (1, 3600.0)
    assert entry["evidence"]["windowStart"]


async def test_a_digested_event_links_its_digest_run(pipeline: Pipeline) -> None:
    digest = {"name": "Digest", "type": "digest", "controlValues": {"amount": 1, "unit": "seconds"}}
    wf = await create_workflow(pipeline, "comments", [digest, inbox("{{ step.total_count }} new")])
    await trigger(pipeline, "comments", "tx-dg", {})
    await pipeline.finish("tx-dg")
    await digest_done(pipeline, wf, "digest")
    ada = recipient(await explain(pipeline, "tx-dg"), "ada")
    assert ada["outcome"] == "digested"
    assert ada["summary"].startswith("merged into digest digest:")
    assert ada["summary"].endswith("the digest's run sends it")
    assert [r["role"] for r in ada["runs"]] == ["trigger", "digest"]


async def test_a_delay_shows_its_planned_and_real_end(pipeline: Pipeline) -> None:
    wait = {"name": "Wait", "type": "delay", "controlValues": {"type": "regular", "amount": 1, "unit": "seconds"}}
    await create_workflow(pipeline, "reminder", [wait, inbox("later")])
    await trigger(pipeline, "reminder", "tx-delay", {})
    await pipeline.finish("tx-delay")
    ada = recipient(await explain(pipeline, "tx-delay"), "ada")
    assert ada["outcome"] == "sent"
    [delay] = stage(ada, "delay")
    ev = delay["evidence"]
    assert delay["stepId"] == "wait" and ev["ended"] == "fired"
    assert ev["realEnd"] >= ev["plannedEnd"] > ev["startedAt"] and ev["lateSeconds"] >= 0
    assert delay["decision"].startswith("Delay ended at ")


@pytest.fixture
def backup_smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


async def integrate(p: Pipeline, identifier: str, port: int) -> None:
    credentials = {"host": "127.0.0.1", "port": port, "security": "none", "from_address": "c@example.test"}
    body = {"providerId": "smtp", "identifier": identifier, "credentials": credentials}
    response = await p.client.post("/v1/integrations", json=body, headers=p.headers)
    assert response.status_code == 201, response.text


async def test_provider_attempts_retries_failover_and_the_providers_error(
    pipeline: Pipeline, backup_smtp: tuple[Mailbox, int]
) -> None:
    env = pipeline.tenancy.env_a.id
    await add_subscribers(pipeline.sessions, env, ["ada"], email=True)
    await add_workflow(pipeline.sessions, env, "mail", steps=[MAIL])
    pipeline.mailbox.replies = ["550 5.1.1 no such user"]
    await trigger(pipeline, "mail", "tx-550", {})
    await pipeline.finish("tx-550")
    ada = recipient(await explain(pipeline, "tx-550"), "ada")
    assert ada["summary"] == "not sent: email delivery failed: SMTP 550: 5.1.1 no such user"
    [failed] = stage(ada, "attempt")
    assert failed["status"] == "failed" and failed["evidence"]["providerId"] == "smtp"

    pipeline.mailbox.replies = ["451 4.3.0 try again later"]
    await trigger(pipeline, "mail", "tx-451", {})
    await pipeline.finish("tx-451")
    ada = recipient(await explain(pipeline, "tx-451"), "ada")
    assert ada["outcome"] == "sent"
    assert [e["stage"] for e in ada["timeline"] if e["stage"] in ("retry", "attempt")] == ["retry", "attempt"]
    assert "451" in stage(ada, "retry")[0]["decision"]

    await integrate(pipeline, "primary-mail", pipeline.settings.smtp.port)
    await integrate(pipeline, "backup-mail", backup_smtp[1])
    pipeline.mailbox.replies = ["550 5.7.1 relaying denied"]
    await trigger(pipeline, "mail", "tx-failover", {})
    await pipeline.finish("tx-failover")
    ada = recipient(await explain(pipeline, "tx-failover"), "ada")
    [over] = stage(ada, "failover")
    assert over["evidence"]["integration"] == "primary-mail" and "550" in over["decision"]
    assert stage(ada, "attempt")[0]["evidence"]["integration"] == "backup-mail"
    assert ada["outcome"] == "sent"


async def test_topics_deduplication_and_the_actor_are_explained(pipeline: Pipeline) -> None:
    env = pipeline.tenancy.env_a.id
    await add_workflow(pipeline.sessions, env, "note", steps=[INBOX])
    await add_topic(pipeline.sessions, env, "red", ["a", "b", "c"])
    await add_topic(pipeline.sessions, env, "blue", ["c", "d"])
    await pipeline.trigger({"name": "note", "actor": "b", "transactionId": "tx-topics", "to": [
        {"type": "Topic", "topicKey": "red"}, {"type": "Topic", "topicKey": "blue"}, "a"]})
    await pipeline.finish("tx-topics")
    data = await explain(pipeline, "tx-topics")
    assert sorted(r["subscriberId"] for r in data["recipients"]) == ["a", "c", "d"]
    first = {r["subscriberId"]: stage(r, "recipient")[0] for r in data["recipients"]}
    assert first["d"]["decision"] == "Resolved through topic 'blue'"
    assert first["c"]["decision"] == "Resolved through topic 'blue'; deduplicated: reached 2 ways, notified once"
    assert first["c"]["evidence"]["topics"] == ["blue", "red"]
    assert first["a"]["decision"].startswith("Resolved directly") and first["a"]["evidence"]["deduplicated"]
    actor = recipient(await explain(pipeline, "tx-topics", "b"), "b")
    assert actor["outcome"] == "not_sent" and "was the actor of the event" in actor["summary"]
    assert stage(actor, "recipient")[0]["decision"] == "Dropped as the actor of the event"


async def test_unknown_transaction_subscriber_or_notification_is_a_novu_404(pipeline: Pipeline) -> None:
    missing = await explain(pipeline, "tx-never", status=404)
    assert missing["statusCode"] == 404 and "tx-never" in missing["message"]
    await pipeline.trigger({"name": "welcome", "to": "ada", "transactionId": "tx-known"})
    await pipeline.finish("tx-known")
    stranger = await explain(pipeline, "tx-known", "zed", status=404)
    assert "'zed' is not a recipient" in stranger["message"]
    response = await pipeline.client.get("/v1/notifications/nope/explain", headers=pipeline.headers)
    assert response.status_code == 404 and response.json()["message"] == "Notification not found"
    feed = await pipeline.client.get("/v1/notifications", params={"transactionId": "tx-known"},
                                     headers=pipeline.headers)
    notification_id = feed.json()["data"][0]["_id"]
    response = await pipeline.client.get(f"/v1/notifications/{notification_id}/explain", headers=pipeline.headers)
    assert response.status_code == 200 and response.json()["data"]["recipients"][0]["subscriberId"] == "ada"
    other = await pipeline.client.get("/v1/notifications/explain", params={"transactionId": "tx-known"},
                                      headers={"Authorization": f"ApiKey {pipeline.tenancy.key_b}"})
    assert other.status_code == 404  # another environment's transaction does not exist for this key


async def test_clarion_explain_prints_the_same_explanation(pipeline: Pipeline, engine: AsyncEngine) -> None:
    await pipeline.trigger({"name": "welcome", "to": {"subscriberId": "ada", "email": "ada@example.test"},
                            "transactionId": "tx-cli"})
    await pipeline.finish("tx-cli")
    data = Explanation.model_validate(await explain(pipeline, "tx-cli"))
    lines = render_explanation(data)
    assert lines[1] == data.summary and any(line.startswith("ada: sent - sent on ") for line in lines)
    assert any(" attempt " in line and "Message sent" in line for line in lines)
    if engine.dialect.name != "sqlite":
        return  # the command reads the database by URL; a PostgreSQL test schema has no URL of its own
    settings = pipeline.settings.model_copy(update={"database": DatabaseSettings(url=str(engine.url))})
    printed = await explain_command(settings, str(pipeline.tenancy.env_a.id), "tx-cli", "ada",
                                    client=pipeline.temporal)
    assert printed[1] == data.summary
    with pytest.raises(SystemExit, match="'zed' is not a recipient"):
        await explain_command(settings, str(pipeline.tenancy.env_a.id), "tx-cli", "zed", client=pipeline.temporal)
