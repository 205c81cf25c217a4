"""The delay step: a durable Temporal timer before the steps after it, on the dev server and in test time."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.live import RunClosed
from clarion.worker import STRICT_SANDBOX, WORKFLOWS
from core.payloads import (
    RunResult,
    StepInput,
    StepOutcome,
    StepSpec,
    SubscriberInput,
    TriggerContext,
    TriggerInput,
    WorkflowSnapshot,
)
from tests.conftest import NativeApi
from tests.pipeline.conftest import Pipeline
from workflows.trigger import TriggerWorkflow

TEST_SERVER = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "temporal-test-server"


def delayed(identifier: str, controls: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": identifier.title(), "workflowId": identifier,
        "steps": [
            {"name": "Wait", "type": "delay", "controlValues": controls},
            {"name": "Inbox", "type": "in_app", "controlValues": {"body": "Reminder: {{ payload.what }}"}},
        ],
    }


async def create_workflow(p: Pipeline, identifier: str, controls: dict[str, Any]) -> dict[str, Any]:
    response = await p.client.post("/v2/workflows", json=delayed(identifier, controls), headers=p.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def trigger(p: Pipeline, name: str, tx: str, payload: dict[str, Any]) -> None:
    response = await p.trigger({"name": name, "to": "ada", "payload": payload, "transactionId": tx})
    assert response.status_code == 201, response.text


async def test_two_second_delay_delivers_after_two_seconds_not_before(pipeline: Pipeline) -> None:
    created = await create_workflow(pipeline, "reminder", {"type": "regular", "amount": 2, "unit": "seconds"})
    assert [s["type"] for s in created["steps"]] == ["delay", "in_app"]
    assert created["steps"][0]["controlValues"] == {"type": "regular", "amount": 2, "unit": "seconds"}
    started = time.monotonic()
    await trigger(pipeline, "reminder", "tx-delay-2s", {"what": "tea"})
    await asyncio.sleep(1.0)
    assert await pipeline.messages(subscriber_id="ada") == []
    result = await pipeline.finish("tx-delay-2s")
    assert time.monotonic() - started >= 2.0
    assert (result.sent, result.failed, result.notes) == (1, 0, [])
    [message] = await pipeline.messages(subscriber_id="ada", channel="in_app")
    assert message.content == "Reminder: tea"


async def test_until_in_the_past_sends_at_once(pipeline: Pipeline) -> None:
    await create_workflow(pipeline, "at-time", {"until": "payload.sendAt"})
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    started = time.monotonic()
    await trigger(pipeline, "at-time", "tx-until-past", {"sendAt": past, "what": "late"})
    result = await pipeline.finish("tx-until-past")
    assert time.monotonic() - started < 2.0
    assert (result.sent, result.notes) == (1, [])


async def test_until_in_the_near_future_waits_for_it(pipeline: Pipeline) -> None:
    await create_workflow(pipeline, "at-time", {"until": "payload.sendAt"})
    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat().replace("+00:00", "Z")
    started = time.monotonic()
    await trigger(pipeline, "at-time", "tx-until-soon", {"sendAt": soon, "what": "soon"})
    result = await pipeline.finish("tx-until-soon")
    assert time.monotonic() - started >= 1.5
    assert result.sent == 1


@pytest.mark.parametrize(("payload", "reason"), [
    ({}, "payload.sendAt is missing"),
    ({"sendAt": "next tuesday"}, "payload.sendAt is not an ISO-8601 timestamp: 'next tuesday'"),
])
async def test_missing_or_invalid_until_skips_the_delay_and_says_why(
    pipeline: Pipeline, payload: dict[str, Any], reason: str
) -> None:
    await create_workflow(pipeline, "at-time", {"until": "payload.sendAt"})
    await trigger(pipeline, "at-time", "tx-until-bad", {**payload, "what": "x"})
    result = await pipeline.finish("tx-until-bad")
    assert result.notes == [f"step 'wait': skipped: {reason}"]
    assert result.sent == 1


async def test_cancel_during_the_delay_sends_nothing(pipeline: Pipeline) -> None:
    await create_workflow(pipeline, "reminder", {"type": "regular", "amount": 1, "unit": "hours"})
    await trigger(pipeline, "reminder", "tx-delay-cancel", {"what": "never"})
    handle = pipeline.temporal.get_workflow_handle(f"trigger:{pipeline.tenancy.env_a.id}:tx-delay-cancel")
    for _ in range(100):  # until the timer is running
        history = [e async for e in handle.fetch_history_events()]
        if any(e.HasField("timer_started_event_attributes") for e in history):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the delay timer never started")
    response = await pipeline.client.delete("/v1/events/trigger/tx-delay-cancel", headers=pipeline.headers)
    assert (response.status_code, response.json()) == (200, {"data": True})
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert isinstance(failure.value.cause, CancelledError)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    await asyncio.sleep(0.5)
    assert await pipeline.messages(subscriber_id="ada") == []
    again = await pipeline.client.delete("/v1/events/trigger/tx-delay-cancel", headers=pipeline.headers)
    assert again.json() == {"data": False}


@pytest.mark.parametrize(("controls", "field", "words"), [
    ({"type": "regular", "amount": 0, "unit": "hours"}, "amount", "greater than 0"),
    ({"type": "regular", "amount": 2, "unit": "fortnights"}, "unit", "'months'"),
    ({"type": "regular", "unit": "hours"}, "amount", "required"),
    ({"type": "timed", "amount": 1, "unit": "days"}, "type", "'regular'"),
    ({"until": "sendAt"}, "until", "payload path"),
    ({"until": "payload.sendAt", "amount": 1, "unit": "days"}, "amount", "not both"),
    ({"amount": 1, "unit": "days", "body": "{{ payload.x }}"}, "body", "Extra inputs"),
])
async def test_bad_delay_controls_are_a_400_naming_the_field(
    native_api: NativeApi, controls: dict[str, Any], field: str, words: str
) -> None:
    body = delayed("bad", controls)
    response = await native_api.client.post("/v2/workflows", json=body, headers=native_api.headers_a)
    assert response.status_code == 400, response.text
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    key = f"steps[0].controlValues.{field}"
    assert key in errors and words in errors[key], errors
    assert 'step "wait"' in errors[key]


@activity.defn(name="send_step")
async def fake_send_step(inp: StepInput) -> StepOutcome:
    return StepOutcome(step_id=inp.context.workflow.steps[inp.step_index].id, recipients=1, sent=1)


@activity.defn(name="publish_run_closed")
async def fake_publish_run_closed(inp: RunClosed) -> None:
    return None  # live events need a bus; this test runs no API


CONVERTER = pydantic_data_converter


async def test_thirty_day_delay_completes_in_test_time() -> None:
    server = str(TEST_SERVER)
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=server, data_converter=CONVERTER)
    snapshot = WorkflowSnapshot(id=str(uuid.uuid4()), identifier="monthly", name="Monthly", steps=[
        StepSpec(id="wait", type="delay", controls={"type": "regular", "amount": 1, "unit": "months"}),
        StepSpec(id="inbox", type="in_app", controls={"body": "hi"}),
    ])
    ctx = TriggerContext(environment_id="env", organization_id="org", transaction_id="tx-month", workflow=snapshot)
    inp = TriggerInput(context=ctx, subscribers=[SubscriberInput(subscriberId="ada")])
    try:
        async with Worker(env.client, task_queue=(tq := f"tq-{uuid.uuid4().hex}"), workflows=WORKFLOWS,
                          activities=[fake_send_step, fake_publish_run_closed], workflow_runner=STRICT_SANDBOX):
            before, wall = await env.get_current_time(), time.monotonic()
            result = await env.client.execute_workflow(
                TriggerWorkflow.run, inp, id="trigger:env:tx-month", task_queue=tq, result_type=RunResult
            )
            assert (result.sent, result.notes) == (1, [])
            assert await env.get_current_time() - before >= timedelta(days=30)
            assert time.monotonic() - wall < 10
    finally:
        await env.shutdown()
