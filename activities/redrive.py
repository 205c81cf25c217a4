"""The re-drive's bookkeeping: reopen failed and unknown deliveries before the step sends them again."""

from __future__ import annotations

import uuid

from temporalio import activity

from activities.ledger import Ledger
from core.redrive_payloads import ReopenInput, ReopenResult
from store import delivery_ledger as deliveries
from store import redrive
from store.engine import Sessions


class RedriveActivities:
    def __init__(self, *, sessions: Sessions) -> None:
        self._sessions = sessions

    @activity.defn
    async def reopen_deliveries(self, inp: ReopenInput) -> ReopenResult:
        """Reopen the named deliveries still failed or unknown, noting the re-drive in their details."""
        ledger = Ledger(step_id=inp.step_id)
        async with self._sessions() as session, session.begin():
            pairs = await redrive.reopen(
                session=session, environment_id=uuid.UUID(inp.environment_id), transaction_id=inp.transaction_id,
                run_key=inp.run_key, step_id=inp.step_id, subscriber_ids=inp.subscriber_ids,
            )
            for n, job in pairs:
                ledger.note(n, job.id, "warning", f"Re-driven by {inp.redrive_id}: sending again under the same "
                            "idempotency key", channel=job.step_type,
                            raw={"decision": "redrive", "redriveWorkflowId": inp.redrive_id})
            await deliveries.add_details(session=session, rows=ledger.details)
        return ReopenResult(reopened=[n.subscriber_id for n, _ in pairs])
