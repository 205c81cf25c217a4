"""Who an action step or a step's conditions apply to, and the records a step leaves for them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from activities.ledger import Ledger
from activities.recipients import Claimed, claim_batch
from channels.steps import STEP_KINDS
from core.action_payloads import ActionInput
from store import delivery_ledger as deliveries
from store.models import Job, Notification


async def in_run(session: AsyncSession, inp: ActionInput) -> Claimed:
    """The run's recipients that have not left it at an earlier step."""
    claimed = await claim_batch(session, inp.context, inp.batch)
    gone = set(inp.exclude)
    return [(n, s) for n, s in claimed if s.subscriber_id not in gone]


async def step_jobs(session: AsyncSession, inp: ActionInput, claimed: Claimed) -> dict[uuid.UUID, Job]:
    step = inp.context.workflow.steps[inp.step_index]
    return await deliveries.ensure_jobs(
        session=session, environment_id=uuid.UUID(inp.context.environment_id),
        notification_ids=[n.id for n, _ in claimed], step_id=step.id, step_type=step.type,
    )


async def close_later_channel_steps(session: AsyncSession, inp: ActionInput, left: Sequence[Notification]) -> None:
    """Recipients that left the run skip its later channel steps (the send activity skips final jobs)."""
    if not left:
        return
    env = uuid.UUID(inp.context.environment_id)
    for later in inp.context.workflow.steps[inp.step_index + 1:]:
        if later.type not in STEP_KINDS:
            continue
        jobs = await deliveries.ensure_jobs(
            session=session, environment_id=env, notification_ids=[n.id for n in left], step_id=later.id,
            step_type=later.type,
        )
        await deliveries.set_job_status(session=session, statuses={job.id: "skipped" for job in jobs.values()})


async def write(session: AsyncSession, ledger: Ledger) -> None:
    await deliveries.add_details(session=session, rows=ledger.details)
    await deliveries.set_job_status(session=session, statuses=ledger.jobs)
