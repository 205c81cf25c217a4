"""The digest step's I/O: hand events to their group's digest workflow, and close a digest.

A group is (environment, workflow, subscriber, digest step, value of the ``digestKey`` path): one
Temporal workflow per group at a time, with an id derived from the group, fed by signal-with-start.
Signal-with-start is atomic on the server, so events of the same second all reach one workflow.

The ``digest_entries`` table records every handed event (``pending`` until its digest closes).
Closing keeps only pending entries whose transaction was not cancelled, and marks them sent in the
same transaction: an event signalled twice (a retried activity) or cancelled is never sent.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta

from temporalio import activity
from temporalio.common import WorkflowIDReusePolicy

from activities import lifecycle
from activities.heartbeat import heartbeating
from activities.ledger import Ledger
from activities.step_recipients import close_later_channel_steps, in_run, step_jobs, write
from core import metrics
from core.action_payloads import (
    ActionResult,
    DigestCloseInput,
    DigestCloseResult,
    DigestEnterInput,
    DigestEvent,
    DigestGroupInput,
)
from core.paths import read_path
from store import action_state
from store.engine import Sessions

# Names of the digest workflow and its signal (``workflows.digest_group``), which activities may not import.
DIGEST_WORKFLOW = "DigestWorkflow"
ADD_SIGNAL = "add"


def group_id(environment_id: str, workflow_id: str, subscriber_id: str, step_id: str, key: object) -> str:
    raw = json.dumps([workflow_id, subscriber_id, step_id, key], default=str)
    return f"digest:{environment_id}:{hashlib.sha256(raw.encode()).hexdigest()[:32]}"


class DigestActivities:
    def __init__(self, *, sessions: Sessions) -> None:
        self._sessions = sessions

    @activity.defn
    async def enter_digest(self, inp: DigestEnterInput) -> ActionResult:
        """Hand each recipient's event to its digest group (or, for a look-back digest with no
        recent event, let it continue alone)."""
        async with heartbeating():
            result = await self._enter(inp)
        metrics.action_outcome("digest", passed=len(result.passed), merged=len(result.left))
        return result

    async def _enter(self, inp: DigestEnterInput) -> ActionResult:
        ctx = inp.context
        step = ctx.workflow.steps[inp.step_index]
        env = uuid.UUID(ctx.environment_id)
        key = read_path(ctx.payload, inp.key_path) if inp.key_path else None
        events = list(ctx.step_data.get("events") or [ctx.payload])  # a second digest flattens the first
        result = ActionResult(step_data={"events": events, "total_count": len(events), "digest_key": key})
        ledger = Ledger(step_id=step.id)
        to_signal: list[tuple[str, DigestEvent]] = []
        async with self._sessions() as session, session.begin():
            claimed = await in_run(session, inp)
            jobs = await step_jobs(session, inp, claimed)
            left = []
            for n, sub in claimed:
                if inp.only is not None and sub.subscriber_id not in inp.only:
                    continue  # its conditions were not met: it goes on without the digest
                job = jobs[n.id]
                group = group_id(ctx.environment_id, ctx.workflow.id, sub.subscriber_id, step.id, key)
                entry = await action_state.digest_entry(
                    session=session, run_key=inp.batch.key, step_id=step.id, subscriber_id=sub.subscriber_id
                )
                if entry is None:
                    direct = False
                    if inp.look_back_seconds is not None:
                        await action_state.lock_scope(session=session, scope=group)
                        last = await action_state.last_digest_event(
                            session=session, group_id=group, exclude_run_key=inp.batch.key
                        )
                        direct = last is None or last < inp.now - timedelta(seconds=inp.look_back_seconds)
                    await action_state.add_digest_entry(
                        session=session, environment_id=env, transaction_id=ctx.transaction_id,
                        subscriber_id=sub.subscriber_id, step_id=step.id, run_key=inp.batch.key, group_id=group,
                        state="direct" if direct else "pending", at=inp.now,
                    )
                    state = "direct" if direct else "pending"
                else:
                    state = entry.state
                ledger.jobs[job.id] = "completed"
                if state == "direct":
                    result.passed.append(sub.subscriber_id)
                    ledger.note(n, job.id, "success", "Digest skipped: no other event within the look-back "
                                "window, so this one is sent at once", channel=step.type)
                    continue
                result.left.append(sub.subscriber_id)
                left.append(n)
                if entry is None:
                    ledger.note(n, job.id, "success", f"Merged into digest {group}", channel=step.type,
                                raw={"digestWorkflowId": group, "digestKey": key})
                if state == "pending":
                    event = DigestEvent(
                        event_id=f"{inp.batch.key}:{step.id}:{sub.subscriber_id}", transaction_id=ctx.transaction_id,
                        run_key=inp.batch.key, step_id=step.id, subscriber_id=sub.subscriber_id, events=events,
                        context=ctx, policy=inp.policy,
                    )
                    to_signal.append((group, event))
            result.remaining = len(claimed) - len(left)
            if result.remaining:
                await close_later_channel_steps(session, inp, left)
            await write(session, ledger)
        await lifecycle.start_committed(session, ctx.environment_id)  # subscriber.created of inline subscribers
        # After the commit: a digest that closes now already finds this event's entry.
        client = activity.client()
        for group, event in to_signal:
            await client.start_workflow(
                DIGEST_WORKFLOW,
                DigestGroupInput(group_id=group, environment_id=ctx.environment_id, subscriber_id=event.subscriber_id,
                                 step_index=inp.step_index, controls=step.controls, digest_key=key),
                id=group,
                task_queue=activity.info().task_queue,
                start_signal=ADD_SIGNAL,
                start_signal_args=[event],
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                static_summary=f"digest of {ctx.workflow.identifier} for {event.subscriber_id}"
                + (f" (key {str(key)[:60]})" if key is not None else ""),
            )
        if result.left:
            result.note = f"merged {len(result.left)} recipient(s) into digests"
        return result

    @activity.defn
    async def close_digest(self, inp: DigestCloseInput) -> DigestCloseResult:
        """Keep the events still pending and not cancelled; mark them sent (or cancelled)."""
        env = uuid.UUID(inp.environment_id)
        result = DigestCloseResult()
        async with self._sessions() as session, session.begin():
            dropped = await action_state.cancelled(
                session=session, environment_id=env, transaction_ids=[e.transaction_id for e in inp.events]
            )
            for event in inp.events:
                entry = await action_state.digest_entry(
                    session=session, run_key=event.run_key, step_id=event.step_id, subscriber_id=event.subscriber_id
                )
                if entry is None or event.event_id in result.kept:
                    continue
                if entry.state == "sent" and entry.closed_by == inp.close_id:
                    result.kept.append(event.event_id)  # this close, retried
                    continue
                if entry.state == "cancelled" or (entry.state == "pending" and event.transaction_id in dropped):
                    entry.state = "cancelled"
                    result.dropped_transactions.append(event.transaction_id)
                    continue
                if entry.state != "pending":
                    continue  # sent by an earlier digest: a repeated signal
                entry.state, entry.closed_by = "sent", inp.close_id
                result.kept.append(event.event_id)
            await session.flush()
        return result
