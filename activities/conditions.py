"""Step conditions at run time: which recipients of a run meet a step's conditions.

The rules are parsed and evaluated by ``core.conditions`` (the same code that validated them
when the workflow was saved). A recipient that fails them gets the step's job marked skipped, with
the failed rule in its execution details, so the send activity leaves them out.
"""

from __future__ import annotations

import uuid
from typing import Any

from temporalio import activity

from activities import lifecycle
from activities.context import actor_view, subscriber_view, tenant_view
from activities.heartbeat import heartbeating
from activities.ledger import Ledger
from activities.step_recipients import in_run, step_jobs, write
from core.action_payloads import ActionInput, ConditionResult
from core.conditions import compared, evaluate, parse, step_refs
from store import delivery_ledger as deliveries
from store import subscribers, tenants
from store.engine import Sessions

FINAL = frozenset({"completed", "skipped", "failed"})


class ConditionActivities:
    def __init__(self, *, sessions: Sessions) -> None:
        self._sessions = sessions

    @activity.defn
    async def check_conditions(self, inp: ActionInput) -> ConditionResult:
        """Evaluate step ``inp.step_index``'s conditions for every recipient still in the run."""
        async with heartbeating():
            return await self._check(inp)

    async def _check(self, inp: ActionInput) -> ConditionResult:
        ctx = inp.context
        step = ctx.workflow.steps[inp.step_index]
        tree = parse(step.controls.get("conditions"))
        env = uuid.UUID(ctx.environment_id)
        result = ConditionResult()
        ledger = Ledger(step_id=step.id)
        async with self._sessions() as session, session.begin():
            claimed = await in_run(session, inp)
            jobs = await step_jobs(session, inp, claimed)
            actor = await subscribers.get(session=session, environment_id=env, subscriber_id=ctx.actor.subscriber_id) \
                if ctx.actor else None
            tenant = await tenants.get(session=session, environment_id=env, identifier=ctx.tenant.identifier) \
                if ctx.tenant else None
            refs = sorted(step_refs(tree))
            keys = {(sid, s.subscriber_id): f"{inp.batch.key}:{sid}:{s.subscriber_id}"
                    for _, s in claimed for sid in refs}
            messages = await deliveries.messages_by_key(session=session, keys=keys.values())
            base: dict[str, Any] = {"payload": ctx.payload, "actor": actor_view(ctx.actor, actor),
                                    "tenant": tenant_view(ctx.tenant, tenant)}
            for n, sub in claimed:
                job = jobs[n.id]
                facts = {}
                for sid in refs:
                    m = messages.get(keys[(sid, sub.subscriber_id)])
                    facts[sid] = {"seen": bool(m and m.seen), "read": bool(m and m.read),
                                  "delivered": bool(m and m.status == "sent")}
                data = {**base, "subscriber": subscriber_view(sub), "steps": facts}
                ok, why = evaluate(tree, data)
                if job.status in FINAL and job.status != "completed":
                    ok = False  # decided by an earlier attempt (or the recipient left the run)
                    why = why or "decided by an earlier attempt"
                if ok:
                    result.passed.append(sub.subscriber_id)
                    continue
                result.failed.append(sub.subscriber_id)
                result.reason = result.reason or why
                if job.status not in FINAL:
                    ledger.jobs[job.id] = "skipped"
                    # The values each rule compared, so an explanation shows why (``clarion explain``).
                    ledger.note(n, job.id, "success", f"Step skipped: condition not met: {why}", channel=step.type,
                                raw={"decision": "condition", "conditions": compared(tree, data)})
            await write(session, ledger)
        await lifecycle.start_committed(session, ctx.environment_id)  # subscriber.created of inline subscribers
        return result
