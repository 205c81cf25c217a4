"""What Temporal recorded about Clarion's runs, read back for explanations, re-drives and replays:
the input a run started with, its status, and the delay timers it set (planned and real ends).

Histories expire with the namespace's retention, and the engine may be down: every reader here
answers ``None`` or an empty list then, so an explanation falls back to what the store holds.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar, cast
from urllib.parse import quote

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError

from core.batched import BatchedInput
from core.payloads import RunInput, TriggerContext, TriggerInput
from core.settings import TemporalSettings

T = TypeVar("T")
DELAY_SUMMARY = "delay "  # the summary prefix of a delay step's timer (``workflows.actions.delay``)
_QUERYABLE = re.compile(r"^[\w.:@/+-]{1,255}$")  # transaction ids that can be quoted in a visibility query


@dataclass(frozen=True)
class RunStatus:
    workflow_id: str
    status: str  # running, completed, failed, cancelled, terminated, timed_out, continued, unknown
    run_id: str | None = None


@dataclass(frozen=True)
class DelayTimer:
    """A delay step's timer in one run: when it started, when it was due, when (and how) it ended."""

    workflow_id: str
    step_id: str
    started_at: datetime
    planned_end: datetime
    ended_at: datetime | None
    ended: str  # fired, cancelled, waiting


def run_url(temporal: TemporalSettings, workflow_id: str) -> str:
    return f"{temporal.ui_url.rstrip('/')}/namespaces/{temporal.namespace}/workflows/{quote(workflow_id, safe='')}"


async def run_status(client: Client, workflow_id: str) -> RunStatus:
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
    except RPCError:
        return RunStatus(workflow_id, "unknown")
    status = description.status or WorkflowExecutionStatus.RUNNING
    name = {WorkflowExecutionStatus.CANCELED: "cancelled",
            WorkflowExecutionStatus.CONTINUED_AS_NEW: "continued"}.get(status, status.name.lower())
    return RunStatus(workflow_id, name, description.run_id)


async def started_input(client: Client, workflow_id: str, kind: type[T]) -> T | None:
    """The first argument the workflow's latest run started with, decoded as ``kind``.

    A trigger id (``trigger:<env>:<tx>``) without a workflow of its own is an event of a batched run
    (``workflows.batched``): its input is that event, read from the run that carries the transaction.
    """
    found = await _started_input(client, workflow_id, kind)
    if found is None and kind is TriggerInput and workflow_id.startswith("trigger:"):
        batched = await _batched_event(client, workflow_id)
        return cast("T | None", batched[1] if batched else None)
    return found


async def transaction_run(client: Client, trigger_id: str) -> tuple[TriggerInput | None, RunStatus]:
    """A transaction's event and the status of the run that carries it: its own trigger run, or the
    batched run its event went into (whose id the status then names)."""
    own, status = await asyncio.gather(_started_input(client, trigger_id, TriggerInput), run_status(client, trigger_id))
    if own is not None or not trigger_id.startswith("trigger:"):
        return own, status
    batched = await _batched_event(client, trigger_id)
    if batched is None:
        return None, status
    return batched[1], await run_status(client, batched[0])


async def _batched_event(client: Client, workflow_id: str) -> tuple[str, TriggerInput] | None:
    _, env, tx = workflow_id.split(":", 2)
    if not _QUERYABLE.match(tx):
        return None
    try:
        runs = [e async for e in client.list_workflows(f"EnvironmentId = '{env}' AND TransactionIds = '{tx}'")]
    except RPCError:
        return None
    # A transaction re-sent in a later bulk is listed by that run too; the first run is the one that ran it.
    for run in sorted(runs, key=lambda e: e.start_time):
        batched = await _started_input(client, run.id, BatchedInput)
        event = next((e for e in batched.events if e.context.transaction_id == tx), None) if batched else None
        if event is not None:
            return run.id, event
    return None


async def _started_input(client: Client, workflow_id: str, kind: type[T]) -> T | None:
    try:
        async for event in client.get_workflow_handle(workflow_id).fetch_history_events(page_size=1):
            if event.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
                return None
            payloads = event.workflow_execution_started_event_attributes.input.payloads
            if not payloads:
                return None
            decoded = await client.data_converter.decode([payloads[0]], [kind])
            value: T = decoded[0]
            return value
    except (RPCError, ValueError, TypeError):
        return None
    return None


def _when(event_time: object) -> datetime:
    stamp = event_time.ToDatetime()  # type: ignore[attr-defined]
    assert isinstance(stamp, datetime)
    return stamp.replace(tzinfo=UTC)


async def delay_timers(client: Client, workflow_id: str) -> list[DelayTimer]:
    """The delay timers of a run, in the order they started."""
    started: dict[str, tuple[str, datetime, datetime]] = {}
    ended: dict[str, tuple[str, datetime]] = {}
    try:
        async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
                summary = ""
                if event.user_metadata.HasField("summary"):
                    decoded = await client.data_converter.decode([event.user_metadata.summary], [str])
                    summary = str(decoded[0])
                if not summary.startswith(DELAY_SUMMARY):
                    continue
                attrs = event.timer_started_event_attributes
                at = _when(event.event_time)
                wait = timedelta(seconds=attrs.start_to_fire_timeout.ToTimedelta().total_seconds())
                started[attrs.timer_id] = (summary[len(DELAY_SUMMARY):], at, at + wait)
            elif event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
                ended[event.timer_fired_event_attributes.timer_id] = ("fired", _when(event.event_time))
            elif event.event_type == EventType.EVENT_TYPE_TIMER_CANCELED:
                ended[event.timer_canceled_event_attributes.timer_id] = ("cancelled", _when(event.event_time))
    except RPCError:
        return []
    timers = []
    for timer_id, (step_id, at, due) in started.items():
        how, when = ended.get(timer_id, ("waiting", None))
        timers.append(DelayTimer(workflow_id, step_id, at, due, when, how))
    return timers


async def run_context(client: Client, workflow_id: str) -> TriggerContext | None:
    """The trigger context a trigger or batch run started with (a batch's input names its batch)."""
    run = await started_input(client, workflow_id, RunInput)
    if run is not None:
        return run.context
    trigger = await started_input(client, workflow_id, TriggerInput)
    return trigger.context if trigger is not None else None
