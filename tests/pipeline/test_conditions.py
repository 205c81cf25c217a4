"""Step conditions: validated on save, evaluated per recipient at run time, skips recorded."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import update

from core.conditions import ConditionError, evaluate, parse
from store.models import Message
from tests.conftest import NativeApi
from tests.pipeline.conftest import Pipeline
from tests.pipeline.flow_helpers import create_workflow, details, inbox, trigger

FOLLOW_UP = [
    inbox("You have a new report"),
    {"name": "Wait", "type": "delay", "controlValues": {"type": "regular", "amount": 2, "unit": "seconds"}},
    {"name": "Follow up", "type": "email", "controlValues": {
        "subject": "Unread report", "body": "Please read it",
        "conditions": {"field": "steps.inbox.read", "op": "=", "value": False},
    }},
]
ADA = {"subscriberId": "ada", "email": "ada@example.test"}


async def read_when_delivered(p: Pipeline) -> None:
    for _ in range(200):
        async with p.sessions() as session, session.begin():
            done = await session.execute(
                update(Message).where(Message.subscriber_id == "ada", Message.channel == "in_app").values(read=True)
            )
        if getattr(done, "rowcount", 0):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the in-app message never arrived")


async def test_follow_up_email_is_not_sent_when_the_in_app_message_was_read(pipeline: Pipeline) -> None:
    await create_workflow(pipeline, "report", FOLLOW_UP)
    await trigger(pipeline, "report", "tx-read", {}, to=ADA)
    await read_when_delivered(pipeline)
    result = await pipeline.finish("tx-read")
    assert (result.sent, result.skipped) == (1, 1)
    assert result.notes == ["step 'follow-up': skipped: condition not met: steps.inbox.read = False is false"]
    assert pipeline.mailbox.to("ada@example.test") == []
    [skip] = await details(pipeline, transaction_id="tx-read", step_id="follow-up")
    assert skip.detail == "Step skipped: condition not met: steps.inbox.read = False is false"


async def test_follow_up_email_is_sent_when_the_in_app_message_stayed_unread(pipeline: Pipeline) -> None:
    await create_workflow(pipeline, "report", FOLLOW_UP)
    await trigger(pipeline, "report", "tx-unread", {}, to=ADA)
    result = await pipeline.finish("tx-unread")
    assert (result.sent, result.skipped, result.notes) == (2, 0, [])
    [mail] = pipeline.mailbox.to("ada@example.test")
    assert mail["Subject"] == "Unread report"


async def test_conditions_over_payload_subscriber_and_tenant_choose_recipients(pipeline: Pipeline) -> None:
    await create_workflow(pipeline, "vip", [inbox("hello", conditions={"and": [
        {"field": "payload.amount", "op": ">=", "value": 100},
        {"or": [{"field": "subscriber.locale", "op": "in", "value": ["de", "fr"]},
                {"field": "subscriber.data.vip", "op": "is_defined"}]},
    ]})])
    people = [{"subscriberId": "a", "locale": "de"}, {"subscriberId": "b", "locale": "en"},
              {"subscriberId": "c", "locale": "en", "data": {"vip": True}}]
    await trigger(pipeline, "vip", "tx-vip", {"amount": "150"}, to=people)
    result = await pipeline.finish("tx-vip")
    assert (result.sent, result.skipped) == (2, 1)
    assert sorted(m.subscriber_id for m in await pipeline.messages(channel="in_app")) == ["a", "c"]
    await trigger(pipeline, "vip", "tx-small", {"amount": 5}, to=people)
    small = await pipeline.finish("tx-small")
    assert (small.sent, small.skipped) == (0, 3)


async def test_novu_filter_shape_is_accepted(pipeline: Pipeline) -> None:
    await create_workflow(pipeline, "novu", [inbox("hi", conditions=[{
        "isNegated": False, "type": "GENERIC", "value": "AND",
        "children": [{"on": "payload", "field": "status", "operator": "EQUAL", "value": "paid"}],
    }])])
    await trigger(pipeline, "novu", "tx-n1", {"status": "paid"})
    await trigger(pipeline, "novu", "tx-n2", {"status": "open"})
    assert ((await pipeline.finish("tx-n1")).sent, (await pipeline.finish("tx-n2")).sent) == (1, 0)


@pytest.mark.parametrize(("conditions", "field", "words"), [
    ({"field": "payload.x", "op": "~", "value": 1}, "conditions.op", "must be one of"),
    ({"field": "secrets.x", "op": "=", "value": 1}, "conditions.field", "must start with"),
    ({"and": [{"field": "steps.later.read", "op": "=", "value": True}]}, "conditions", "not an earlier step"),
    ({"field": "payload.x", "op": "between", "value": 1}, "conditions.value", "two bounds"),
    ({"or": []}, "conditions.or", "non-empty"),
])
async def test_bad_conditions_are_a_400_naming_the_step_and_field(
    native_api: NativeApi, conditions: Any, field: str, words: str
) -> None:
    steps = [inbox("x", conditions=conditions), {**inbox("y"), "name": "Later"}]
    body = {"name": "Bad", "workflowId": "bad", "steps": steps}
    response = await native_api.client.post("/v2/workflows", json=body, headers=native_api.headers_a)
    assert response.status_code == 400, response.text
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    key = f"steps[0].controlValues.{field}"
    assert key in errors and words in errors[key] and 'step "inbox"' in errors[key], errors


@pytest.mark.parametrize(("rule", "data", "expected"), [
    ({"field": "payload.n", "op": "=", "value": "3"}, {"payload": {"n": 3}}, True),
    ({"field": "payload.n", "op": "!=", "value": 3}, {"payload": {}}, True),
    ({"field": "payload.n", "op": "<", "value": 3}, {"payload": {"n": "x"}}, False),
    ({"field": "payload.at", "op": ">", "value": "2026-01-01T00:00:00Z"}, {"payload": {"at": "2026-02-01T00:00:00Z"}},
     True),
    ({"field": "payload.n", "op": "between", "value": [1, 5]}, {"payload": {"n": 5}}, True),
    ({"field": "payload.n", "op": "not_in", "value": "a, b"}, {"payload": {"n": "b"}}, False),
    ({"field": "payload.s", "op": "like", "value": "%error_"}, {"payload": {"s": "An ERRORs"}}, True),
    ({"field": "payload.s", "op": "is_defined", "value": False}, {"payload": {"s": None}}, True),
    ({"not": {"field": "actor.subscriberId", "op": "=", "value": "x"}}, {"actor": {"subscriberId": "x"}}, False),
])
def test_operators(rule: dict[str, Any], data: dict[str, Any], expected: bool) -> None:
    assert evaluate(parse(rule), data)[0] is expected


def test_parse_errors_say_where() -> None:
    with pytest.raises(ConditionError) as error:
        parse({"and": [{"field": "payload.a", "op": "="}, {"field": "payload.b", "op": "in", "value": 3}]})
    assert error.value.path == "and.1.value"
