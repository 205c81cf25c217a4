"""What waits: pending digest entries and the runs of a subscriber, tenant or workflow, and the
store side of cancelling them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import delivery_ledger as deliveries
from store.models import DigestEntry, Notification

RUN_KEYS_LIMIT = 500


def _filters(subscriber_id: str | None, tenant: str | None, workflow: str | None) -> list[Any]:
    where: list[Any] = []
    if subscriber_id is not None:
        where.append(Notification.subscriber_id == subscriber_id)
    if tenant is not None:
        where.append(Notification.tenant == tenant)
    if workflow is not None:
        where.append(Notification.workflow_identifier == workflow)
    return where


async def pending_digests(
    *, session: AsyncSession, environment_id: uuid.UUID, subscriber_id: str | None = None, tenant: str | None = None,
    workflow: str | None = None,
) -> list[tuple[DigestEntry, str]]:
    """Events waiting in a digest, with their workflow's identifier, oldest first."""
    rows = await session.execute(
        select(DigestEntry, Notification.workflow_identifier)
        .join(Notification, and_(Notification.environment_id == DigestEntry.environment_id,
                                 Notification.transaction_id == DigestEntry.transaction_id,
                                 Notification.subscriber_id == DigestEntry.subscriber_id))
        .where(DigestEntry.environment_id == environment_id, DigestEntry.state == "pending",
               *_filters(subscriber_id, tenant, workflow))
        .order_by(DigestEntry.created_at)
    )
    return [(entry, identifier) for entry, identifier in rows]


async def cancel_digest_entries(*, session: AsyncSession, entry_ids: Sequence[uuid.UUID]) -> None:
    """Leave these events out of their digests (a closing digest keeps only pending entries)."""
    if entry_ids:
        await session.execute(update(DigestEntry).where(DigestEntry.id.in_(list(entry_ids)),
                                                        DigestEntry.state == "pending").values(state="cancelled"))


async def run_keys(
    *, session: AsyncSession, environment_id: uuid.UUID, subscriber_id: str | None = None, tenant: str | None = None,
    workflow: str | None = None,
) -> dict[str, list[str]]:
    """The recent runs that claimed matching recipients, each with all its recipients."""
    keys = list(await session.scalars(
        select(Notification.temporal_workflow_id)
        .where(Notification.environment_id == environment_id, *_filters(subscriber_id, tenant, workflow))
        .group_by(Notification.temporal_workflow_id)
        .order_by(Notification.temporal_workflow_id).limit(RUN_KEYS_LIMIT)
    ))
    found: dict[str, list[str]] = {k: [] for k in keys}
    if keys:
        for key, sid in await session.execute(
            select(Notification.temporal_workflow_id, Notification.subscriber_id)
            .where(Notification.environment_id == environment_id, Notification.temporal_workflow_id.in_(keys))
        ):
            found[key].append(sid)
    return found


async def skip_rest(
    *, session: AsyncSession, environment_id: uuid.UUID, run_key: str, subscriber_id: str,
    steps: Sequence[tuple[str, str]], why: str,
) -> bool:
    """Close one recipient's remaining channel steps of a run shared with others (the run goes on for
    them); False when the run has not claimed the recipient yet."""
    notification = await session.scalar(select(Notification).where(
        Notification.environment_id == environment_id, Notification.temporal_workflow_id == run_key,
        Notification.subscriber_id == subscriber_id))
    if notification is None:
        return False
    for step_id, step_type in steps:
        jobs = await deliveries.ensure_jobs(session=session, environment_id=environment_id,
                                            notification_ids=[notification.id], step_id=step_id, step_type=step_type)
        job = jobs[notification.id]
        if job.status in ("completed", "skipped", "failed"):
            continue
        await deliveries.set_job_status(session=session, statuses={job.id: "skipped"})
        await deliveries.add_details(session=session, rows=[{
            "environment_id": environment_id, "notification_id": notification.id, "job_id": job.id,
            "subscriber_id": subscriber_id, "transaction_id": notification.transaction_id, "step_id": step_id,
            "status": "warning", "detail": f"Step skipped: {why}", "channel": step_type,
        }])
    return True
