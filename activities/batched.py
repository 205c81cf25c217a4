"""The activities of batched runs: one call carries the same step of many events.

Each item runs the per-event implementation unchanged (``DispatchActivities.send_step``), so
preferences, rendering, ledger idempotency keys and execution details stay per transaction. An item
fails alone: its error comes back in its slot, and the workflow retries it through the single
activity with the step's usual retry policy.
"""

from __future__ import annotations

import asyncio
import uuid

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.dispatch import DispatchActivities
from activities.heartbeat import heartbeating
from core.batched import ClaimInput, ClaimResult, ItemError, StepItem, StepItemResults, StepItems
from core.payloads import StepInput
from store import transaction_claims
from store.engine import Sessions


class BatchedActivities:
    """Transaction claims and coalesced channel steps for ``BatchedTriggerWorkflow``."""

    def __init__(self, *, sessions: Sessions, dispatch: DispatchActivities, concurrency: int = 8) -> None:
        self._sessions = sessions
        self._dispatch = dispatch
        self._concurrency = concurrency

    @activity.defn
    async def claim_transactions(self, inp: ClaimInput) -> ClaimResult:
        """Take the run's transaction ids (exactly once per environment and transactionId)."""
        async with self._sessions() as session, session.begin():
            claimed = await transaction_claims.claim(
                session=session, environment_id=uuid.UUID(inp.environment_id),
                transaction_ids=inp.transaction_ids, owner=inp.owner,
            )
        return ClaimResult(owned=claimed.owned, cancelled=claimed.cancelled)

    @activity.defn
    async def send_steps(self, inp: StepItems) -> StepItemResults:
        """Run ``send_step`` for every item, a few at a time; each item's outcome or error in its slot."""
        gate = asyncio.Semaphore(self._concurrency)

        async def one(item: StepInput) -> StepItem:
            async with gate:
                try:
                    return StepItem(outcome=await self._dispatch.send_step(item))
                except ApplicationError as exc:
                    return StepItem(error=ItemError(message=str(exc), type=exc.type, retryable=not exc.non_retryable))
                except Exception as exc:
                    return StepItem(error=ItemError(message=f"{type(exc).__name__}: {exc}", type=type(exc).__name__))

        async with heartbeating():
            return StepItemResults(items=list(await asyncio.gather(*(one(i) for i in inp.inputs))))
