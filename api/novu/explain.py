"""Why a notification did (not) arrive: the explanation of one transaction, for the route and the CLI.

Built from what is already recorded: the store's notifications, jobs, execution details and
messages (a fixed number of queries, whatever the number of recipients), the trigger's input and
status in Temporal (one describe, one history page), the batch runs' statuses, and the delay
timers of the runs that had a delay step. The engine's answers overlap the store's queries.
"""

from __future__ import annotations

import asyncio
import gc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.errors import NotFound
from api.novu.explain_timeline import actor_explanation, explain_recipient, transaction_summary, trigger_entry
from api.novu.explain_wire import ExplanationData, RecipientData, RunRole, envelope_json, run_link
from api.novu.schemas.explain import Explanation, ExplanationEnvelope
from api.operations.run_histories import DelayTimer, RunStatus, delay_timers, run_status, run_url, transaction_run
from core.payloads import TriggerInput
from core.run_identity import trigger_workflow_id
from core.settings import TemporalSettings
from store import explanations

# Runs an execution detail names in its evidence, with the role they played.
_LINKED: tuple[tuple[str, RunRole], ...] = (("digestWorkflowId", "digest"), ("redriveWorkflowId", "redrive"))


async def explain_transaction(
    *, session: AsyncSession, client: Client, temporal: TemporalSettings, environment_id: uuid.UUID,
    transaction_id: str, subscriber_id: str | None = None,
) -> Explanation:
    """The explanation of ``transaction_id`` as a model (for ``clarion explain``); 404 when unknown."""
    return ExplanationEnvelope.model_validate_json(await explanation_json(
        session=session, client=client, temporal=temporal, environment_id=environment_id,
        transaction_id=transaction_id, subscriber_id=subscriber_id,
    )).data


async def explanation_json(
    *, session: AsyncSession, client: Client, temporal: TemporalSettings, environment_id: uuid.UUID,
    transaction_id: str, subscriber_id: str | None = None,
) -> bytes:
    """The explanation of ``transaction_id`` (one subscriber's only, when named) in the face's
    envelope, as JSON; 404 when unknown."""
    found = await _gather(session=session, client=client, environment_id=environment_id,
                          transaction_id=transaction_id, subscriber_id=subscriber_id)
    # The tens of thousands of dicts and lists built here live until they are serialized, a few
    # milliseconds later, and none is part of a cycle. A collection meanwhile would promote them and
    # soon scan the whole heap for nothing (the bench measured that at a third of the time), so the
    # collector waits: nothing is awaited in between, no other task allocates meanwhile.
    with _collection_paused():
        return envelope_json(_build(found, temporal))


@contextmanager
def _collection_paused() -> Iterator[None]:
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass
class _Found:
    """What the store and the engine answered about a transaction."""

    transaction_id: str
    trigger_id: str
    record: explanations.TransactionRecord
    trigger: TriggerInput | None
    status: RunStatus
    actor: str | None = None  # the subscriber asked about, when they were the actor of the event
    topics: dict[str, list[str]] = field(default_factory=dict)
    replays: list[str] = field(default_factory=list)
    timers: dict[str, list[DelayTimer]] = field(default_factory=dict)
    statuses: dict[str, RunStatus] = field(default_factory=dict)


async def _gather(
    *, session: AsyncSession, client: Client, environment_id: uuid.UUID, transaction_id: str,
    subscriber_id: str | None,
) -> _Found:
    trigger_id = trigger_workflow_id(str(environment_id), transaction_id)
    # The store and the engine answer at the same time.
    record, (trigger, status) = await asyncio.gather(
        explanations.transaction_notifications(session=session, environment_id=environment_id,
                                               transaction_id=transaction_id, subscriber_id=subscriber_id),
        transaction_run(client, trigger_id),
    )
    if trigger is None and not record.notifications and (
        subscriber_id is None or not await _transaction_known(session, environment_id, transaction_id)
    ):
        raise NotFound(f"Transaction {transaction_id!r} was not found")
    found = _Found(transaction_id, trigger_id, record, trigger, status)
    if subscriber_id is not None and not record.notifications:
        if trigger is not None and trigger.context.actor and trigger.context.actor.subscriber_id == subscriber_id \
                and (trigger.topic_keys or trigger.everyone):
            found.actor = subscriber_id
        else:
            raise NotFound(f"Subscriber {subscriber_id!r} is not a recipient of transaction {transaction_id!r}")
    (found.topics, found.replays), found.timers, found.statuses = await asyncio.gather(
        _read_store(session, record, environment_id, subscriber_id, trigger),
        _timers(client, record, trigger), _batch_statuses(client, record, trigger_id),
    )
    return found


def _build(found: _Found, temporal: TemporalSettings) -> ExplanationData:
    record, trigger, status = found.record, found.trigger, found.status
    urls: dict[str, str] = {}

    def url(workflow_id: str) -> str:  # a handful of runs for a thousand recipients
        if workflow_id not in urls:
            urls[workflow_id] = run_url(temporal, workflow_id)
        return urls[workflow_id]

    # An event of a batched run links that run (``status`` names it), not a trigger id without a workflow.
    links = [run_link(status.workflow_id, "trigger", url(status.workflow_id), status.status)] if trigger else []
    recipients: list[RecipientData] = []
    if found.actor is not None and trigger is not None:
        recipients.append(actor_explanation(found.actor, trigger, links))
    # The runs of the recipients of one batch, shared by their answers unless a detail names more.
    batch_runs = {key: [*links, run_link(key, "batch" if trigger else "digest", url(key), batch.status)]
                  for key, batch in found.statuses.items()}
    opening = trigger_entry(trigger) if trigger is not None else None
    running = status.status == "running"
    listed = frozenset(s.subscriber_id for s in trigger.subscribers) if trigger else frozenset()
    for n in record.notifications:
        runs = batch_runs.get(n.temporal_workflow_id, links)
        details = record.details.get(n.subscriber_id, [])
        for d in details:
            raw = d.raw
            if not raw:
                continue
            for key, role in _LINKED:
                linked = raw.get(key)
                if isinstance(linked, str) and all(r["workflowId"] != linked for r in runs):
                    runs = [*runs, run_link(linked, role, url(linked))]
        recipients.append(explain_recipient(
            n, details=details, jobs=record.jobs.get(n.subscriber_id, []),
            messages=record.messages.get(n.subscriber_id, []), trigger=trigger, opening=opening,
            topics=found.topics.get(n.subscriber_id, []), timers=found.timers.get(n.temporal_workflow_id, []),
            runs=runs, running=running, listed_ids=listed,
        ))
    workflow = record.workflow
    snapshot = trigger.context.workflow if trigger else None
    return {
        "transactionId": found.transaction_id,
        "workflowIdentifier": workflow.identifier if workflow else (snapshot.identifier if snapshot else None),
        "workflowId": str(workflow.id) if workflow else (snapshot.id if snapshot else None),
        "status": status.status,
        "summary": transaction_summary(recipients) if recipients else _nobody(trigger, status),
        "workflowVersion": snapshot.version if snapshot else None,
        "replayOf": trigger.context.replay_of if trigger else None,
        "replays": found.replays, "recipients": recipients, "runs": links,
    }


async def _read_store(
    session: AsyncSession, record: explanations.TransactionRecord, environment_id: uuid.UUID,
    subscriber_id: str | None, trigger: TriggerInput | None,
) -> tuple[dict[str, list[str]], list[str]]:
    """The records, the recipients' topics and the replays, one query after the other on the session."""
    await explanations.read_records(session=session, record=record, environment_id=environment_id,
                                    subscriber_id=subscriber_id)
    topics = await explanations.topics_of(
        session=session, environment_id=environment_id, transaction_id=record.transaction_id,
        topic_keys=trigger.topic_keys if trigger and record.notifications else [], subscriber_id=subscriber_id,
    )
    replays = await explanations.replays_of(session=session, environment_id=environment_id,
                                            transaction_id=record.transaction_id)
    return topics, replays


async def _transaction_known(session: AsyncSession, environment_id: uuid.UUID, transaction_id: str) -> bool:
    record = await explanations.transaction_notifications(
        session=session, environment_id=environment_id, transaction_id=transaction_id
    )
    return bool(record.notifications)


def _nobody(trigger: TriggerInput | None, status: RunStatus) -> str:
    if status.status == "running":
        return "in progress: the recipients are still being resolved"
    if trigger is not None and trigger.topic_keys:
        return f"nobody was notified: topic(s) {', '.join(map(repr, trigger.topic_keys))} had no eligible members"
    return "nobody was notified: the trigger resolved no recipients"


async def _timers(
    client: Client, record: explanations.TransactionRecord, trigger: TriggerInput | None
) -> dict[str, list[DelayTimer]]:
    """Delay timers per run; only read when the workflow has a delay step (histories cost a round trip)."""
    steps = trigger.context.workflow.steps if trigger else []
    if not any(s.type == "delay" for s in steps):
        return {}
    run_keys = sorted({n.temporal_workflow_id for n in record.notifications})
    found = await asyncio.gather(*(delay_timers(client, key) for key in run_keys))
    return dict(zip(run_keys, found, strict=True))


async def _batch_statuses(
    client: Client, record: explanations.TransactionRecord, trigger_id: str
) -> dict[str, RunStatus]:
    run_keys = sorted({n.temporal_workflow_id for n in record.notifications} - {trigger_id})
    found = await asyncio.gather(*(run_status(client, key) for key in run_keys))
    return dict(zip(run_keys, found, strict=True))
