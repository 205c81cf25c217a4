"""The activities of batched runs: one call carries the same step of many events.

The items of the same step run through the per-event implementation together
(``DispatchActivities.send_group``): one read and one write of the store for the whole group, while
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
from activities.step_group import group_key
from core.batched import ClaimInput, ClaimResult, ItemError, StepItem, StepItemResults, StepItems
from core.payloads import StepOutcome
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
        """Run the items' steps, each group of the same step together (``DispatchActivities.send_group``);
        each item's outcome or error in its slot."""
        groups: dict[tuple[str, str, int, str], list[int]] = {}
        for index, item in enumerate(inp.inputs):
            groups.setdefault(group_key(item), []).append(index)
        slots: list[StepItem] = [StepItem()] * len(inp.inputs)
        gate = asyncio.Semaphore(self._concurrency)

        async def one(indexes: list[int]) -> None:
            async with gate:
                results: list[StepOutcome | BaseException]
                try:
                    results = list(await self._dispatch.send_group([inp.inputs[i] for i in indexes]))
                except Exception as exc:
                    results = [exc] * len(indexes)  # e.g. the store went away: each item goes again alone
                for index, result in zip(indexes, results, strict=True):
                    slots[index] = _slot(result)

        async with heartbeating():
            await asyncio.gather(*(one(indexes) for indexes in groups.values()))
        return StepItemResults(items=slots)


def _slot(result: StepOutcome | BaseException) -> StepItem:
    if isinstance(result, StepOutcome):
        return StepItem(outcome=result)
    if isinstance(result, ApplicationError):
        return StepItem(error=ItemError(message=str(result), type=result.type, retryable=not result.non_retryable))
    return StepItem(error=ItemError(message=f"{type(result).__name__}: {result}", type=type(result).__name__))
