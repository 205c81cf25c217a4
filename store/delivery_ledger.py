"""Writes of a running notification: claimed recipients, jobs, messages and execution details.

A run claims its recipients by inserting one notification per (transaction, subscriber); the
unique constraint lets exactly one run claim a subscriber that several topics of the same
trigger contain, and makes a retried claim a no-op.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.bulk import insert_ignoring_conflicts, insert_many_ignoring_conflicts
from store.models import ExecutionDetail, Job, Message, Notification, Subscriber

RunClaim = tuple[str, Sequence[Subscriber], Mapping[str, Any]]
Claims = dict[tuple[str, str], list[tuple[Notification, Subscriber]]]


async def claim_many(*, session: AsyncSession, environment_id: uuid.UUID, runs: Sequence[RunClaim]) -> Claims:
    """Insert a notification per subscriber of each run (run key, subscribers, the columns shared by the
    trigger's notifications: environment, transaction, workflow, payload...) and return what each run
    owns, by (transaction id, run key): two statements for any number of runs."""
    now = utcnow()
    rows = [
        {"id": uuid.uuid4(), "subscriber_pk": s.id, "subscriber_id": s.subscriber_id,
         "temporal_workflow_id": run_key, "created_at": now, "updated_at": now, **fields}
        for run_key, subscribers, fields in runs
        for s in subscribers
    ]
    await insert_many_ignoring_conflicts(session=session, model=Notification, rows=rows)
    return await claimed_by_runs(session=session, environment_id=environment_id,
                                 runs=[(fields["transaction_id"], run_key) for run_key, _, fields in runs])


async def claimed_by_runs(
    *, session: AsyncSession, environment_id: uuid.UUID, runs: Sequence[tuple[str, str]]
) -> Claims:
    """The notifications (with their subscribers) of several runs, by (transaction id, run key), each
    run's in subscriber id order. The transaction ids narrow the query to the unique index."""
    found: Claims = {}
    wanted = set(runs)
    if not wanted:
        return found
    result = await session.execute(
        select(Notification, Subscriber)
        .join(Subscriber, Subscriber.id == Notification.subscriber_pk)
        .where(Notification.environment_id == environment_id,
               Notification.transaction_id.in_({tx for tx, _ in wanted}),
               Notification.temporal_workflow_id.in_({key for _, key in wanted}))
        .order_by(Notification.subscriber_id)
    )
    for n, s in result:
        if (run := (n.transaction_id, n.temporal_workflow_id)) in wanted:
            found.setdefault(run, []).append((n, s))
    return found


async def ensure_jobs(
    *, session: AsyncSession, environment_id: uuid.UUID, notification_ids: Sequence[uuid.UUID], step_id: str,
    step_type: str,
) -> dict[uuid.UUID, Job]:
    now = utcnow()
    rows = [
        {"id": uuid.uuid4(), "environment_id": environment_id, "notification_id": nid, "step_id": step_id,
         "step_type": step_type, "status": "running", "created_at": now, "updated_at": now}
        for nid in notification_ids
    ]
    if not rows:
        return {}
    await insert_many_ignoring_conflicts(session=session, model=Job, rows=rows)
    jobs = await session.scalars(select(Job).where(Job.notification_id.in_(notification_ids), Job.step_id == step_id))
    return {job.notification_id: job for job in jobs}


async def set_job_status(*, session: AsyncSession, statuses: Mapping[uuid.UUID, str]) -> None:
    by_status: dict[str, list[uuid.UUID]] = {}
    for job_id, status in statuses.items():
        by_status.setdefault(status, []).append(job_id)
    for status, ids in by_status.items():
        await session.execute(update(Job).where(Job.id.in_(ids)).values(status=status, updated_at=utcnow()))


async def messages_by_key(*, session: AsyncSession, keys: Iterable[str]) -> dict[str, Message]:
    wanted = list(keys)
    if not wanted:
        return {}
    rows = await session.scalars(select(Message).where(Message.idempotency_key.in_(wanted)))
    return {m.idempotency_key: m for m in rows}


async def insert_messages(*, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert messages, skipping any whose idempotency key is already stored."""
    now = utcnow()
    await insert_many_ignoring_conflicts(
        session=session, model=Message,
        rows=[{"id": uuid.uuid4(), "created_at": now, "updated_at": now, **row} for row in rows],
    )


async def take_marker(*, session: AsyncSession, row: Mapping[str, Any], stale_before: datetime) -> bool:
    """Write the "transmitting" marker of one send: insert it, or take over the marker of an attempt that died
    (still transmitting, untouched since ``stale_before``). False when another attempt holds it: a marker just
    written by a concurrent attempt (one Temporal gave up on that is still running), which must not send too."""
    now = utcnow()
    inserted = await session.execute(
        insert_ignoring_conflicts(session, Message).values(id=uuid.uuid4(), created_at=now, updated_at=now, **row)
    )
    if cast(CursorResult[Any], inserted).rowcount == 1:
        return True
    taken = await session.execute(
        update(Message)
        .where(Message.idempotency_key == row["idempotency_key"], Message.status == "transmitting",
               Message.updated_at <= stale_before)
        .values(updated_at=now, provider_id=row["provider_id"])
    )
    return cast(CursorResult[Any], taken).rowcount == 1


async def finish_messages(*, session: AsyncSession, updates: Mapping[str, Mapping[str, Any]]) -> None:
    """Set the final columns of several messages, one statement per distinct set of columns."""
    now = utcnow()
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for key, values in updates.items():
        params = {"b_key": key, **{f"b_{k}": v for k, v in values.items()}}
        by_columns.setdefault(tuple(sorted(values)), []).append(params)
    for columns, rows in by_columns.items():
        # Core (not ORM) update: an executemany with per-row WHERE parameters.
        table = cast(Table, Message.__table__)
        statement = (
            update(table)
            .where(table.c.idempotency_key == bindparam("b_key"))
            .values({c: bindparam(f"b_{c}") for c in columns} | {"updated_at": now})
        )
        await session.execute(statement, rows)


async def forget_messages(*, session: AsyncSession, keys: Sequence[str]) -> None:
    """Drop transmission markers of sends that failed for sure, so a retry may send them."""
    if keys:
        await session.execute(delete(Message).where(Message.idempotency_key.in_(keys)))


async def add_details(*, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    now = utcnow()
    await insert_many_ignoring_conflicts(
        session=session, model=ExecutionDetail,
        rows=[{"id": uuid.uuid4(), "created_at": now, "source": "internal", "provider_id": None, "raw": None,
               "channel": None, "step_id": None, "job_id": None, "duration_ms": None, "trace_id": None,
               **row} for row in rows],
    )
