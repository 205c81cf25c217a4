"""An occurrence's status, reconciled from Temporal when it is read (shared/event-apis.md §4.4).

The publish workflow and the native trigger workflow of the occurrence's transaction say where it
is: neither started → NEW; running → PROCESSED; closed → COMPLETED or FAILED (with the reason).
A final status is written to the row, so later reads need no Temporal call. An occurrence first
read after Temporal dropped its run's history (older than ``STALE``) is settled from the store.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowExecutionDescription, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ServiceUnavailable
from core.run_identity import publish_workflow_id, trigger_workflow_id
from store import occurrences
from store.models.publishing import Occurrence

# Past this age, a trigger whose publish run Temporal does not know is judged from the store.
STALE = timedelta(minutes=10)
_FAILED = {
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.TIMED_OUT: "timed out",
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.CANCELED: "cancelled",
}


async def _describe(temporal: Client, workflow_id: str) -> WorkflowExecutionDescription | None:
    try:
        return await temporal.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise ServiceUnavailable(f"the workflow engine is unavailable: {exc.message}") from exc


async def _status(session: AsyncSession, temporal: Client, row: Occurrence) -> tuple[str, str | None]:
    env = str(row.environment_id)
    published = await _describe(temporal, publish_workflow_id(env, row.transaction_id))
    if published is None:
        if datetime.now(UTC) - row.created_at < STALE:
            return occurrences.NEW, None  # the API answered before the workflow became visible
        # The row is written only once the run started, so a run that is gone closed long ago and
        # Temporal has dropped its history: judge by what the store recorded.
        if await occurrences.unfinished_jobs(session=session, environment_id=row.environment_id,
                                             transaction_id=row.transaction_id):
            return occurrences.FAILED, "the run's history expired before its steps finished"
        return occurrences.COMPLETED, None
    if published.status in _FAILED:
        return occurrences.FAILED, f"publish workflow {_FAILED[published.status]}"
    triggered = await _describe(temporal, trigger_workflow_id(env, row.transaction_id))
    if triggered is None:
        # The event has no channel steps (or is still starting): nothing to deliver.
        running = published.status == WorkflowExecutionStatus.RUNNING
        return (occurrences.NEW, None) if running else (occurrences.COMPLETED, None)
    if triggered.status == WorkflowExecutionStatus.RUNNING:
        return occurrences.PROCESSED, None
    if triggered.status in _FAILED:
        return occurrences.FAILED, f"trigger workflow {_FAILED[triggered.status]}"
    return occurrences.COMPLETED, None


async def occurrence_body(session: AsyncSession, temporal: Client, row: Occurrence) -> dict[str, Any]:
    status, reason = row.status, row.data.get("reason")
    outcome = await occurrences.outcome(session=session, environment_id=row.environment_id,
                                        transaction_id=row.transaction_id)
    data = {
        "messages": {"sent": outcome.sent, "delivered": outcome.delivered, "failed": outcome.failed},
        "channels": outcome.channels, "errors": outcome.errors,
        "options": row.data.get("options", row.options), "environs": row.data.get("environs", []),
    }
    if status not in occurrences.FINAL:
        status, reason = await _status(session, temporal, row)
        if reason:
            data["reason"] = reason
        if status in occurrences.FINAL:
            await occurrences.settle(session=session, occurrence_id=row.id, status=status,
                                     recipients=outcome.recipients, data=data)
            await session.commit()
            await session.refresh(row)  # ``updated`` as written
    elif reason:
        data["reason"] = reason
    return {
        "id": row.id, "event": row.event, "status": status,
        "created": row.created_at.isoformat().replace("+00:00", "Z"),
        "updated": row.updated_at.isoformat().replace("+00:00", "Z"),
        "correlation_id": row.correlation_id, "transaction_id": row.transaction_id,
        "recipients": outcome.recipients, "data": data,
    }
