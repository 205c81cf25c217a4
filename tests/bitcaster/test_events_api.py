"""Bitcaster's Events API (event-apis.md §4, checklist 34-37) against uvicorn, a worker and Temporal."""

from __future__ import annotations

import json
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from clarion.worker import open_worker
from store import integrations, occurrences
from store.realtime import MemoryBus
from tests.bitcaster.conftest import BASE, Bitcaster, Receiver, until
from tests.pipeline.conftest import Mailbox
from tests.qala.conftest import open_qala

OUT_OF_SCOPE = {"detail": "Invalid organization/project/application for token"}
NOT_FOUND = {"detail": "Not found."}
EMAIL_ONLY = [{"id": "mail", "name": "Mail", "type": "email", "active": True,
               "controls": {"subject": "Hi {{ payload.name | default('you') }}", "body": "<p>Hello</p>"}}]
# A subject that cannot render without ``payload.name``: the step fails before any message exists.
STRICT = [{**EMAIL_ONLY[0], "controls": {"subject": "Hi {{ payload.name.first }}", "body": "<p>Hello</p>"}}]
PEOPLE = {
    "ann": {"email": "ann@example.test", "first_name": "Ann", "phone": "+15550001", "data": {"plan": "gold"}},
    "bob": {"email": "bob@corp.test", "first_name": "Bob", "phone": "+15550002", "data": {"plan": "free"}},
    "cy": {"email": "cy@corp.test", "first_name": "Cyrus", "phone": "+15550003", "data": {"plan": "gold"}},
}


async def test_keys_bindings_and_grants(bitcaster: Bitcaster) -> None:
    await bitcaster.workflow("welcome", "Welcome")
    foreign = await bitcaster.foreign_key()
    trigger_only = await bitcaster.key("trigger-only", ["event:trigger"])
    lister = await bitcaster.key("lister", ["event:list"])
    project_key = await bitcaster.key("project", ["*"], environment=False, project=True)
    org_key = await bitcaster.key("org", ["*"], environment=False)
    env_b_key = bitcaster.q.pipeline.tenancy.key_b

    async def answer(path: str, key: str | None, method: str = "GET") -> tuple[int, object]:
        response = await bitcaster.call(method, path, {} if method == "POST" else None, key=key)
        return response.status_code, response.json()

    missing = await bitcaster.call("GET", f"{BASE}/e/", key=None)
    assert (missing.status_code, missing.json()) == (401, {"detail": "Authentication credentials were not provided."})
    assert missing.headers["www-authenticate"] == "Key"
    assert await answer(f"{BASE}/e/", "ck_not-a-key") == (401, {"detail": "Invalid token."})
    no_grant = (403, {"detail": "You do not have permission to perform this action."})
    assert await answer(f"{BASE}/e/", trigger_only) == no_grant
    assert await answer(f"{BASE}/e/welcome/trigger/", lister, "POST") == no_grant
    # The key's organization differs, whether or not the path exists there.
    for path in (f"{BASE}/e/", "/api/o/nowhere/p/p/a/a/e/", "/api/o/o2/p/p/a/a/e/"):
        key = foreign if "o2" not in path else bitcaster.q.key
        assert await answer(path, key) == (403, OUT_OF_SCOPE), path
    # A project-level key naming another project, an environment-level key naming another app.
    assert await answer("/api/o/o/p/p3/a/a/e/", project_key) == (403, OUT_OF_SCOPE)
    assert await answer("/api/o/o/p/nope/a/a/e/", project_key) == (403, OUT_OF_SCOPE)
    assert await answer(f"{BASE}/e/", env_b_key) == (403, OUT_OF_SCOPE)
    assert await answer("/api/o/o/p/p/a/nope/e/", env_b_key) == (403, OUT_OF_SCOPE)
    # Inside the binding, what does not exist is 404.
    assert await answer("/api/o/o/p/p/a/nope/e/", project_key) == (404, NOT_FOUND)
    assert await answer("/api/o/o/p/nope/a/a/e/", org_key) == (404, NOT_FOUND)
    status, listed = await answer("/api/o/o/p/p3/a/a/e/", org_key)
    assert (status, listed) == (200, [])
    status, listed = await answer(f"{BASE}/e", lister)
    assert status == 200 and [e["slug"] for e in listed] == ["welcome"]  # type: ignore[union-attr]
    assert await answer("/api/system/ping/", lister) == (200, {"token": "lister"})
    assert await answer("/api/system/ping", foreign) == (200, {"token": "foreign"})
    assert (await answer("/api/system/ping/", None))[0] == 401


async def test_event_list(bitcaster: Bitcaster) -> None:
    await bitcaster.workflow("zeta", "Zeta shipped", EMAIL_ONLY, description="Z")
    await bitcaster.workflow("welcome", "a welcome")
    await bitcaster.workflow("mid", "m paused", [], active=False)
    response = await bitcaster.call("GET", f"{BASE}/e/")
    assert response.status_code == 200
    listed = response.json()
    assert [(e["name"], e["slug"], e["channels"], e["active"]) for e in listed] == [
        ("a welcome", "welcome", ["in_app", "email"], True),
        ("m paused", "mid", [], False),
        ("Zeta shipped", "zeta", ["email"], True),
    ]
    assert listed[2]["description"] == "Z" and set(listed[0]) == {"id", "name", "slug", "description", "active",
                                                                   "channels"}


async def test_trigger_body_errors(bitcaster: Bitcaster) -> None:
    await bitcaster.workflow("welcome", "Welcome")
    await bitcaster.workflow("off", "Off", active=False)
    schema = {"type": "object", "required": ["email"], "properties": {"email": {"type": "string"}}}
    await bitcaster.workflow("signed", "Signed", EMAIL_ONLY, payload_schema=schema)
    trigger = f"{BASE}/e/welcome/trigger/"

    async def refused(body: object, path: str = trigger, raw: bytes | None = None) -> tuple[int, object]:
        response = await bitcaster.call("POST", path, body, raw=raw)
        assert response.headers["content-type"] == "application/json"
        return response.status_code, response.json()

    assert await refused({"options": {"foo": 1}}) == (400, {"options": ["Unknown field(s): foo"]})
    assert await refused({"options": {"foo": 1, "bar": 2}}) == (400, {"options": ["Unknown field(s): foo, bar"]})
    assert await refused({"options": {"channels": ["email", "x"]}}) == (
        400, {"options": {"channels": ["Unknown channel(s): x"]}})
    assert await refused({"options": {"limit_to": "ann"}}) == (400, {"options": {"limit_to": [
        "Expected a list of strings."]}})
    assert await refused({"context": "text"}) == (
        400, {"context": ['Expected a dictionary of items but got type "str".']})
    assert await refused({"context": [1]}) == (
        400, {"context": ['Expected a dictionary of items but got type "list".']})
    status, body = await refused(None, raw=b"{not json")
    assert status == 400 and "detail" in body  # type: ignore[operator]
    assert await refused([1]) == (400, {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
    assert await refused({"options": []}) == (400, {"options": ['Expected a dictionary of items but got type "list".']})
    status, body = await refused({"options": {"filters": {"include": {"colour": "red"}}}})
    assert status == 400 and list(body["options"]) == ["filters"]  # type: ignore[index, call-overload]
    assert await refused({}, f"{BASE}/e/nope/trigger/") == (404, {"detail": "Not found.", "error": "Event not found"})
    assert await refused({}, f"{BASE}/e/off/trigger/") == (
        400, {"detail": "Event is not active", "error": "Event is not active"})
    status, body = await refused({"context": {"name": "x"}}, f"{BASE}/e/signed/trigger")
    assert status == 400 and list(body) == ["context"] and body["context"]  # type: ignore[call-overload, index]
    status, _ = await refused(None, f"{BASE}/e/welcome/trigger/?cid=" + "c" * 256)
    assert status == 400
    status, body = await refused({"context": {"big": "x" * 600 * 1024}})
    assert status == 413 and list(body) == ["detail"]  # type: ignore[call-overload]
    ok = await bitcaster.call("POST", f"{BASE}/e/signed/trigger", {"context": {"email": "a@b.test"}})
    assert ok.status_code == 201, ok.text
    # A channel may also be named by an integration identifier or a provider id.
    async with bitcaster.q.pipeline.sessions() as session, session.begin():
        await integrations.create(session=session, environment_id=bitcaster.env, values={
            "identifier": "my-inbox", "provider_id": "clarion-inbox", "channel": "in_app", "name": "Inbox",
            "credentials": ""})
    for channel in ("my-inbox", "clarion-inbox"):
        named = await bitcaster.call("POST", trigger, {"options": {"channels": [channel]}})
        assert named.status_code == 201, named.text


async def test_occurrence_moves_from_new_to_completed(
    engine: AsyncEngine, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int]
) -> None:
    """Without a worker the occurrence stays NEW; once one runs it becomes COMPLETED with its counts."""
    async with open_qala(engine, temporal_env, smtp, worker=False) as q, AsyncExitStack() as stack:
        b = Bitcaster(q)
        await b.workflow("welcome", "Welcome")
        await b.subscribers(PEOPLE)
        await b.topic("everyone", ["welcome"], list(PEOPLE))
        # Both spellings of the path answer 201 directly: no redirect (checklist 37).
        first = await b.call("POST", f"{BASE}/e/welcome/trigger?cid=order-1", {"context": {"name": "n"}})
        assert first.status_code == 201 and not first.history, first.text
        created = first.json()
        assert isinstance(created["occurrence"], int) and len(created["transaction_id"]) == 36
        second = await b.trigger("welcome", {"options": {"environs": ["prod"], "limit_to": ["ann"]}})
        assert second["occurrence"] == created["occurrence"] + 1
        pending = await b.occurrence(created["occurrence"])
        assert pending["status"] == "NEW" and pending["correlation_id"] == "order-1"
        assert pending["transaction_id"] == created["transaction_id"] and pending["event"] == "welcome"
        await stack.enter_async_context(open_worker(q.pipeline.settings, client=q.pipeline.temporal,
                                                    sessions=q.pipeline.sessions, bus=MemoryBus()))
        done = await b.settled(created["occurrence"])
        assert done["status"] == "COMPLETED" and done["recipients"] == 3
        # The cid is the trigger's CorrelationId search attribute, for the Temporal UI.
        query = f"CorrelationId = 'order-1' AND TransactionId = '{created['transaction_id']}'"
        found = await until(lambda: _ids(q.pipeline.temporal, query))
        assert f"trigger:{q.env}:{created['transaction_id']}" in found
        assert done["data"]["messages"] == {"sent": 6, "delivered": 6, "failed": 0}
        assert done["data"]["channels"] == ["email", "in_app"] and done["data"]["errors"] == []
        assert len(q.pipeline.mailbox.messages) >= 3
        limited = await b.settled(second["occurrence"])
        assert limited["recipients"] == 1 and limited["data"]["environs"] == ["prod"]
        assert limited["data"]["options"] == {"environs": ["prod"], "limit_to": ["ann"]}
        # The alias checks the event; a final status is stored and read back without Temporal.
        assert (await b.occurrence(created["occurrence"], "welcome"))["status"] == "COMPLETED"
        assert done["created"] <= done["updated"]
        for path in (f"{BASE}/e/other/occurrences/{created['occurrence']}/", f"{BASE}/occurrences/999999/",
                     f"{BASE}/occurrences/abc/", f"{BASE}/occurrences/99999999999/", f"{BASE}/occurrences/²/"):
            missing = await b.call("GET", path)
            assert (missing.status_code, missing.json()) == (404, NOT_FOUND), path


async def test_channels_option_skips_other_steps(bitcaster: Bitcaster, receiver: Receiver) -> None:
    await bitcaster.workflow("welcome", "Welcome")
    await bitcaster.subscribers(PEOPLE)
    await bitcaster.topic("gold", ["welcome"], ["ann"])
    hook = await bitcaster.q.subscribe("gold", "/hook", receiver)
    assert hook["id"]
    email_only = await bitcaster.trigger("welcome", {"context": {"k": 1}, "options": {"channels": ["email"]}})
    both = await bitcaster.trigger("welcome", {"context": {"k": 2}})
    settled = await bitcaster.settled(email_only["occurrence"])
    assert settled["status"] == "COMPLETED" and settled["data"]["channels"] == ["email"]
    assert [m.channel for m in await bitcaster.messages(email_only["transaction_id"])] == ["email"]
    assert (await bitcaster.settled(both["occurrence"]))["data"]["channels"] == ["email", "in_app"]
    assert sorted(m.channel for m in await bitcaster.messages(both["transaction_id"])) == ["email", "in_app"]
    # The routed topic's webhook gets both events, whatever the options.
    await until(lambda: len(receiver.at("/hook")) == 2)
    bodies = sorted((r.json() for r in receiver.at("/hook")), key=lambda b: json.dumps(b["data"]))
    assert [(b["type"], b["data"]) for b in bodies] == [("welcome", {"k": 1}), ("welcome", {"k": 2})]


async def test_recipients_routed_limited_and_filtered(bitcaster: Bitcaster) -> None:
    await bitcaster.workflow("notice", "Notice", EMAIL_ONLY)
    await bitcaster.workflow("silent", "Silent", EMAIL_ONLY)
    await bitcaster.subscribers({**PEOPLE, "dee": {"email": "dee@example.test", "data": {"plan": "gold"}}})
    await bitcaster.topic("staff", ["notice"], ["ann", "bob"])
    await bitcaster.topic("more", ["notice"], ["bob", "cy"])
    await bitcaster.topic("unrouted", [], ["dee"])

    async def recipients(evt: str, body: dict[str, object]) -> list[str]:
        occurrence = await bitcaster.trigger(evt, body)
        settled = await bitcaster.settled(occurrence["occurrence"])
        assert settled["status"] == "COMPLETED", settled
        ids = sorted(m.subscriber_id for m in await bitcaster.messages(occurrence["transaction_id"]))
        assert settled["recipients"] == len(ids)
        return ids

    assert await recipients("notice", {}) == ["ann", "bob", "cy"]  # members of routed topics, once each
    assert await recipients("notice", {"options": {"limit_to": ["ann", "cy@corp.test", "+15550002"]}}) == [
        "ann", "bob", "cy"]
    assert await recipients("notice", {"options": {"limit_to": ["cy@corp.test", "dee"]}}) == ["cy"]
    assert await recipients("silent", {}) == []  # no routed topic, no filters: nobody, still COMPLETED
    # External mode: all the environment's subscribers, include minus exclude.
    filters = {"include": [{"data.plan": "gold"}, {"email__icontains": "BOB@"}], "exclude": {"firstName": "Cyrus"}}
    assert await recipients("silent", {"options": {"filters": filters}}) == ["ann", "bob", "dee"]
    rendered = {"include": {"email__endswith": "{{ ctx.domain }}"}}
    assert await recipients("silent", {"context": {"domain": "corp.test"}, "options": {"filters": rendered}}) == [
        "bob", "cy"]
    assert await recipients("silent", {"options": {"filters": {"include": {"subscriberId__in": ["ann", "cy"]}},
                                                   "limit_to": ["cy"]}}) == ["cy"]
    assert await recipients("notice", {"options": {"filters": {"exclude": {"phone__startswith": "+1555"}}}}) == [
        "dee"]
    # A step that fails for one recipient is counted and reported; the occurrence still completes.
    await bitcaster.workflow("strict", "Strict", STRICT)
    broken = await bitcaster.trigger("strict", {"options": {"filters": {"include": {"subscriberId": "ann"}}}})
    settled = await bitcaster.settled(broken["occurrence"])
    assert settled["status"] == "COMPLETED" and settled["recipients"] == 1
    assert settled["data"]["messages"] == {"sent": 0, "delivered": 0, "failed": 1}
    [error] = settled["data"]["errors"]
    assert error["subscriberId"] == "ann" and error["channel"] == "email" and "Rendering failed" in error["message"]


async def test_processed_then_failed_and_stale_runs(bitcaster: Bitcaster) -> None:
    wait = {"id": "wait", "name": "Wait", "type": "delay", "active": True,
            "controls": {"type": "regular", "amount": 1, "unit": "hours"}}
    await bitcaster.workflow("later", "Later", [wait, *EMAIL_ONLY])
    await bitcaster.subscribers(PEOPLE)
    await bitcaster.topic("all", ["later"], ["ann"])
    occurrence = await bitcaster.trigger("later")

    async def processed() -> bool:
        return (await bitcaster.occurrence(occurrence["occurrence"]))["status"] == "PROCESSED"

    await until(processed)
    run_id = f"trigger:{bitcaster.env}:{occurrence['transaction_id']}"
    await bitcaster.q.pipeline.temporal.get_workflow_handle(run_id).terminate("test")
    failed = await bitcaster.settled(occurrence["occurrence"])
    assert failed["status"] == "FAILED" and failed["data"]["reason"] == "trigger workflow terminated"
    assert (await bitcaster.occurrence(occurrence["occurrence"]))["data"]["reason"] == "trigger workflow terminated"
    # An occurrence first read after Temporal dropped its run: settled from the store (no pending step).
    async with bitcaster.q.pipeline.sessions() as session, session.begin():
        old = await occurrences.create(session=session, environment_id=bitcaster.env, event="later",
                                       transaction_id=str(uuid.uuid4()), correlation_id=None, options={}, environs=[])
        old.created_at = datetime.now(UTC) - timedelta(minutes=11)
    gone = await bitcaster.occurrence(old.id)
    assert (gone["status"], gone["recipients"]) == ("COMPLETED", 0)


async def _ids(client: Client, query: str) -> list[str]:
    return [execution.id async for execution in client.list_workflows(query)]
