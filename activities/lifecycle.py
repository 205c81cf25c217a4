"""Lifecycle events from the worker: ``message.sent|failed`` after a step, ``workflow.run.completed|failed``
when a trigger run closes, and the events store writes recorded in an activity's transaction
(``subscriber.created`` for the subscribers a trigger creates inline).

``after_step`` runs over every message of the batch (not only those sent by this attempt), so an
activity that died between its commit and this call emits them on its retry. Each event is recorded
once (its id names the object and the change, ``core.lifecycle_events``) and sent by a publish
workflow whose id derives from that id, so repeating the call starts nothing new. Environments
without an endpoint wanting these types cost one query.

A started event's ``unstarted_events`` row is deleted; ``sweep_outbox`` (run by the retention
schedule) starts the events whose start was lost: recorded over ``outbox_sweep_after_seconds`` ago.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from contextlib import suppress
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.retention import SweepInput, SweepResult
from core.lifecycle_events import message_data, message_event_id, run_event_id
from core.publishing_payloads import FanOutInput, PublishInput, WebhookPolicy
from core.run_identity import PUBLISH_WORKFLOW, publish_workflow_id
from core.settings import Settings
from store import delivery_ledger, lifecycle_outbox, subscribers
from store.base import utcnow
from store.engine import Sessions
from store.lifecycle_outbox import LifecycleEvent

# Message statuses at or past "sent" (a provider event may have moved it on already).
_SENT = frozenset({"sent", "delivered", "opened", "clicked", "bounced", "complained", "undelivered"})
_PARALLEL_STARTS = 16
# A sweep's share of the retention run (its execution timeout is 55 s; the purges follow).
_SWEEP_BUDGET_SECONDS = 15.0
logger = logging.getLogger(__name__)
# The emitter of each task queue this process works, for activities that only hold a session.
_EMITTERS: dict[str, LifecycleEmitter] = {}


def policy_of(settings: Settings) -> WebhookPolicy:
    hooks = settings.webhooks
    return WebhookPolicy(base_waits=hooks.base_waits, window_seconds=hooks.window_seconds,
                         timeout_seconds=hooks.timeout_seconds, connect_timeout_seconds=hooks.connect_timeout_seconds,
                         allow_insecure_default=settings.mode == "dev")


class LifecycleEmitter:
    def __init__(self, *, sessions: Sessions, client: Client, task_queue: str, policy: WebhookPolicy,
                 sweep_after_seconds: float = 30.0) -> None:
        self._sessions = sessions
        self.sweep_after = timedelta(seconds=sweep_after_seconds)
        self.sessions = sessions
        self._client = client
        self._task_queue = task_queue
        self._policy = policy
        _EMITTERS[task_queue] = self

    async def start(self, events: Sequence[LifecycleEvent]) -> None:
        """Start each recorded event's publish workflow; one already started is left alone. The started
        ones leave the outbox; a failed start keeps its row for the sweep, and raises."""
        gate = asyncio.Semaphore(_PARALLEL_STARTS)

        async def one(e: LifecycleEvent) -> None:
            fan_out = FanOutInput(environment_id=e.environment_id, event_id=e.event_id, type=e.type, topics=[],
                                  data=e.data, lifecycle=True)
            async with gate:
                with suppress(WorkflowAlreadyStartedError):
                    await self._client.start_workflow(
                        PUBLISH_WORKFLOW, PublishInput(event=fan_out, trigger=None, policy=self._policy),
                        id=publish_workflow_id(e.environment_id, e.event_id), task_queue=self._task_queue,
                        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE, static_summary=f"lifecycle {e.type}",
                    )

        outcomes = await asyncio.gather(*(one(e) for e in events), return_exceptions=True)
        await lifecycle_outbox.forget(sessions=self._sessions, events=[
            e for e, outcome in zip(events, outcomes, strict=True) if not isinstance(outcome, BaseException)])
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def sweep(self, *, batch_size: int, budget_seconds: float) -> int:
        """Start the events recorded over ``sweep_after`` ago and still unstarted, batch by batch."""
        deadline, started = time.monotonic() + budget_seconds, 0
        while time.monotonic() < deadline:
            async with self._sessions() as session, session.begin():
                due = await lifecycle_outbox.due(session=session, before=utcnow() - self.sweep_after,
                                                 limit=batch_size)
            try:
                await self.start(due)
            except Exception:  # Temporal unreachable, say: the rows wait for the next sweep
                logger.warning("lifecycle outbox sweep: a start failed", exc_info=True)
                break
            started += len(due)
            activity.heartbeat(started)
            if len(due) < batch_size:
                break
        if started:
            logger.info("lifecycle outbox sweep started %d event(s) whose start was lost", started)
        return started

    async def after_step(self, environment_id: str, keys: Iterable[str]) -> None:
        env = uuid.UUID(environment_id)
        async with self._sessions() as session, session.begin():
            wanted = await lifecycle_outbox.wanted_types(session=session, environment_id=env,
                                                         types={"message.sent", "message.failed"})
            if not wanted:
                return
            events: list[LifecycleEvent] = []
            for message in (await delivery_ledger.messages_by_key(session=session, keys=keys)).values():
                status = "sent" if message.status in _SENT else "failed" if message.status == "error" else None
                if status is None or f"message.{status}" not in wanted:
                    continue
                data = message_data(message, status=status, occurred_at=message.updated_at,
                                    **({"error": message.error_text} if status == "failed" else {}))
                events.append(LifecycleEvent(environment_id, message_event_id(str(message.id), status),
                                             f"message.{status}", data))
            await lifecycle_outbox.record(session=session, environment_id=env, events=events, wanted=wanted)
        await self.start(lifecycle_outbox.take_committed(session))


async def record_runs_closed(session: AsyncSession, *, environment_id: str,
                             closed: Sequence[tuple[str, str, dict[str, object]]]) -> None:
    """Record ``workflow.run.completed|failed`` of ``closed`` (transaction id, outcome, data) in the caller's
    transaction; a trigger's transactionId is unique in its environment and a run closes once, so
    ``run:{transactionId}:{outcome}`` names each."""
    events = [LifecycleEvent(environment_id, run_event_id(transaction_id, outcome), f"workflow.run.{outcome}", data)
              for transaction_id, outcome, data in closed if outcome in ("completed", "failed")]
    await lifecycle_outbox.record(session=session, environment_id=uuid.UUID(environment_id), events=events)


async def start_committed(session: AsyncSession, environment_id: str | None = None) -> None:
    """In an activity, after its transaction: start the lifecycle events its store writes recorded.

    A retry (``environment_id`` given) also starts the ``subscriber.created`` events of the subscribers
    it upserted: an earlier attempt may have created them and died before starting their events,
    and this attempt, finding them stored, records nothing new. Starting one twice is harmless.
    """
    events = lifecycle_outbox.take_committed(session)
    upserted = session.info.pop(subscribers.UPSERTED, [])
    emitter = _EMITTERS.get(activity.info().task_queue)
    if emitter is None:  # a worker built without lifecycle events records them only
        return
    if upserted and environment_id is not None and activity.info().attempt > 1:
        async with emitter.sessions() as fresh:
            events += await lifecycle_outbox.recorded(session=fresh, environment_id=uuid.UUID(environment_id),
                                                      event_ids=set(upserted))
    if events:
        await emitter.start(list({e.event_id: e for e in events}.values()))


@activity.defn(name="sweep_lifecycle_outbox")
async def sweep_outbox(inp: SweepInput) -> SweepResult:
    """Start the lifecycle events whose start a crash or a Temporal outage lost (``removed``: how many)."""
    emitter = _EMITTERS.get(activity.info().task_queue)
    if emitter is None:
        return SweepResult()
    budget = min(inp.budget_seconds, _SWEEP_BUDGET_SECONDS)
    return SweepResult(removed=await emitter.sweep(batch_size=inp.batch_size, budget_seconds=budget))
