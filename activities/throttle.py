"""The throttle step: at most N executions per window per subscriber (and optional key).

Each recipient's turn is a row in ``throttle_claims``, decided under a lock on its scope, so the
limit holds exactly when many runs reach the step at once, and a retried attempt gets the answer
the first attempt committed.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from temporalio import activity

from activities import lifecycle
from activities.heartbeat import heartbeating
from activities.ledger import Ledger
from activities.step_recipients import close_later_channel_steps, in_run, step_jobs, write
from core import metrics
from core.action_payloads import ActionResult, ThrottleInput
from core.paths import read_path
from store import action_state
from store.engine import Sessions

UNIT_SECONDS: Mapping[str, int] = {
    "seconds": 1, "minutes": 60, "hours": 3600, "days": 86_400, "weeks": 7 * 86_400, "months": 30 * 86_400,
}


def window_from(value: Any) -> float | None:
    """A window read from the payload: seconds, or ``{"amount": 2, "unit": "hours"}``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    if isinstance(value, Mapping) and value.get("unit") in UNIT_SECONDS:
        amount = value.get("amount")
        if isinstance(amount, (int, float)) and not isinstance(amount, bool) and amount > 0:
            return float(amount) * UNIT_SECONDS[str(value["unit"])]
    return None


def scope_of(inp: ThrottleInput, subscriber_id: str, key: Any) -> str:
    ctx = inp.context
    step_id = ctx.workflow.steps[inp.step_index].id
    return throttle_scope(ctx.environment_id, ctx.workflow.id, step_id, subscriber_id, key)


def throttle_scope(environment_id: str, workflow_id: str, step_id: str, subscriber_id: str, key: Any) -> str:
    """What a throttle counts: one subscriber (and key value) at one step of one workflow."""
    raw = json.dumps([environment_id, workflow_id, step_id, subscriber_id, key], default=str)
    return f"throttle:{hashlib.sha256(raw.encode()).hexdigest()}"


class ThrottleActivities:
    def __init__(self, *, sessions: Sessions) -> None:
        self._sessions = sessions

    @activity.defn
    async def throttle(self, inp: ThrottleInput) -> ActionResult:
        """Let through the recipients whose scope has room in its window; the rest leave the run."""
        async with heartbeating():
            result = await self._throttle(inp)
        metrics.action_outcome("throttle", passed=len(result.passed), throttled=len(result.left))
        return result

    async def _throttle(self, inp: ThrottleInput) -> ActionResult:
        ctx = inp.context
        step = ctx.workflow.steps[inp.step_index]
        env = uuid.UUID(ctx.environment_id)
        window = inp.window_seconds
        if inp.window_path is not None:
            window = window_from(read_path(ctx.payload, inp.window_path))
        key = read_path(ctx.payload, inp.key_path) if inp.key_path else None
        result = ActionResult()
        ledger = Ledger(step_id=step.id)
        async with self._sessions() as session, session.begin():
            claimed = await in_run(session, inp)
            jobs = await step_jobs(session, inp, claimed)
            left = []
            for n, sub in claimed:
                job = jobs[n.id]
                if inp.only is not None and sub.subscriber_id not in inp.only:
                    continue  # its conditions were not met: the step does not apply to it
                if window is None:
                    result.passed.append(sub.subscriber_id)
                    result.note = f"{inp.window_path} is not a window (seconds or {{amount, unit}}): not throttled"
                    ledger.jobs[job.id] = "completed"
                    ledger.note(n, job.id, "warning", f"Not throttled: {result.note}", channel=step.type)
                    continue
                granted = await action_state.claim_throttle(
                    session=session, environment_id=env, scope=scope_of(inp, sub.subscriber_id, key),
                    run_key=inp.batch.key, limit=inp.limit, since=inp.now - timedelta(seconds=window), at=inp.now,
                )
                limit = f"{inp.limit} per {window:g}s" + (f" for key {str(key)[:80]!r}" if key is not None else "")
                ledger.jobs[job.id] = "completed" if granted else "skipped"
                evidence = {"decision": "throttle", "limit": inp.limit, "windowSeconds": window, "key": key,
                            "windowStart": (inp.now - timedelta(seconds=window)).isoformat()}
                if granted:
                    result.passed.append(sub.subscriber_id)
                    ledger.note(n, job.id, "success", f"Throttle passed ({limit})", channel=step.type,
                                raw=evidence)
                else:
                    result.left.append(sub.subscriber_id)
                    left.append(n)
                    ledger.note(n, job.id, "warning", f"Throttled: the limit of {limit} was reached; "
                                "the steps after it did not run", channel=step.type, raw=evidence)
            result.remaining = len(claimed) - len(left)
            if result.remaining:
                await close_later_channel_steps(session, inp, left)
            await write(session, ledger)
        await lifecycle.start_committed(session, ctx.environment_id)  # subscriber.created of inline subscribers
        if result.left:
            result.note = f"throttled {len(result.left)} recipient(s)"
        return result
