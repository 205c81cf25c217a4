"""Digest semantics in test time: a one-minute window, on the time-skipping Temporal test server.

The digest is the workflow's last step here: the test server does not know Clarion's search
attributes, which the digest's run (the steps after it) carries; test_digest.py covers those runs
and the delivered messages on the dev server.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.common import WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from clarion.worker import STRICT_SANDBOX, WORKFLOWS
from core.action_payloads import DigestCloseInput, DigestCloseResult, DigestEvent, DigestGroupInput
from core.payloads import StepSpec, TriggerContext, WorkflowSnapshot
from workflows.digest_group import DigestOutcome, DigestWorkflow

TEST_SERVER = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "temporal-test-server"


@activity.defn(name="close_digest")
async def fake_close_digest(inp: DigestCloseInput) -> DigestCloseResult:
    return DigestCloseResult(kept=[e.event_id for e in inp.events])


async def test_ten_events_in_one_second_with_a_one_minute_window_make_one_digest_after_a_minute() -> None:
    server, converter = str(TEST_SERVER), pydantic_data_converter
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=server, data_converter=converter)
    snapshot = WorkflowSnapshot(id=str(uuid.uuid4()), identifier="comments", name="Comments", steps=[
        StepSpec(id="digest", type="digest", controls={"amount": 1, "unit": "minutes"}),
    ])
    group = DigestGroupInput(group_id="digest:env:group", environment_id="env", subscriber_id="ada", step_index=0,
                             controls=snapshot.steps[0].controls)

    def event(i: int) -> DigestEvent:
        ctx = TriggerContext(environment_id="env", organization_id="org", transaction_id=f"tx{i}", workflow=snapshot,
                             payload={"n": i})
        return DigestEvent(event_id=f"run{i}", transaction_id=f"tx{i}", run_key=f"run{i}", step_id="digest",
                           subscriber_id="ada", events=[{"n": i}], context=ctx)

    try:
        tq = f"tq-{uuid.uuid4().hex}"
        async with Worker(env.client, task_queue=tq, workflows=WORKFLOWS, workflow_runner=STRICT_SANDBOX,
                          activities=[fake_close_digest]):
            before = await env.get_current_time()

            async def add(i: int) -> None:
                await env.client.start_workflow(
                    DigestWorkflow.run, group, id=group.group_id, task_queue=tq, start_signal="add",
                    start_signal_args=[event(i)], id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                )

            # The test server (unlike the dev server, see test_digest.py) refuses concurrent first
            # signal-with-starts, so the first event starts the group and nine join it at once.
            await add(0)
            await asyncio.gather(*(add(i) for i in range(1, 10)))
            handle = env.client.get_workflow_handle(group.group_id, result_type=DigestOutcome)
            await env.sleep(timedelta(seconds=58))  # test time: the window is still open
            assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
            await env.sleep(timedelta(seconds=4))
            outcome = await handle.result()
            assert (outcome.events, outcome.sent_events) == (10, 10)
            assert await env.get_current_time() - before >= timedelta(minutes=1)
    finally:
        await env.shutdown()
