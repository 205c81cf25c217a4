"""Why a notification did (not) arrive: the explanation of one transaction, for the route and the CLI.

Built from what is already recorded: the store's notifications, jobs, execution details and
messages (six queries, whatever the number of recipients), the trigger's input and status in
Temporal (one describe, one history page), and the delay timers of the runs that had a delay step.
"""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.errors import NotFound
from api.novu.explain_timeline import actor_explanation, explain_recipient, transaction_summary
from api.novu.schemas.explain import Explanation, RecipientExplanation, RunLink
from api.operations.run_histories import DelayTimer, RunStatus, delay_timers, run_status, run_url, started_input
from core.payloads import TriggerInput
from core.run_identity import trigger_workflow_id
from core.settings import TemporalSettings
from store import explanations


async def explain_transaction(
    *, session: AsyncSession, client: Client, temporal: TemporalSettings, environment_id: uuid.UUID,
    transaction_id: str, subscriber_id: str | None = None,
) -> Explanation:
    """The explanation of ``transaction_id`` (one subscriber's only, when named); 404 when unknown."""
    trigger_id = trigger_workflow_id(str(environment_id), transaction_id)
    # The store and the engine answer at the same time.
    record, trigger, status = await asyncio.gather(
        explanations.transaction_record(session=session, environment_id=environment_id,
                                        transaction_id=transaction_id, subscriber_id=subscriber_id),
        started_input(client, trigger_id, TriggerInput), run_status(client, trigger_id),
    )
    if trigger is None and not record.notifications and (
        subscriber_id is None or not await _transaction_known(session, environment_id, transaction_id)
    ):
        raise NotFound(f"Transaction {transaction_id!r} was not found")
    trigger_link = RunLink(workflow_id=trigger_id, role="trigger", status=status.status,
                           url=run_url(temporal, trigger_id))
    links = [trigger_link] if trigger is not None else []
    recipients: list[RecipientExplanation] = []
    if subscriber_id is not None and not record.notifications:
        if trigger is not None and trigger.context.actor and trigger.context.actor.subscriber_id == subscriber_id \
                and (trigger.topic_keys or trigger.everyone):
            recipients.append(actor_explanation(subscriber_id, trigger, links))
        else:
            raise NotFound(f"Subscriber {subscriber_id!r} is not a recipient of transaction {transaction_id!r}")
    topics = await explanations.topics_of(
        session=session, environment_id=environment_id, topic_keys=trigger.topic_keys if trigger else [],
        subscriber_pks=[n.subscriber_pk for n in record.notifications if n.subscriber_pk is not None],
    )
    timers = await _timers(client, record, trigger)
    running = status.status == "running"
    statuses = await _batch_statuses(client, record, trigger_id)
    listed = frozenset(s.subscriber_id for s in trigger.subscribers) if trigger else frozenset()
    for n in record.notifications:
        runs = list(links)
        if n.temporal_workflow_id != trigger_id:
            batch = statuses.get(n.temporal_workflow_id)
            runs.append(RunLink.model_construct(
                workflow_id=n.temporal_workflow_id, role="batch" if trigger else "digest",
                status=batch.status if batch else None, url=run_url(temporal, n.temporal_workflow_id),
            ))
        details = record.details.get(n.id, [])
        for d in details:
            raw = d.raw or {}
            for key, role in (("digestWorkflowId", "digest"), ("redriveWorkflowId", "redrive")):
                linked = raw.get(key)
                if isinstance(linked, str) and all(r.workflow_id != linked for r in runs):
                    runs.append(RunLink(workflow_id=linked, role=role, url=run_url(temporal, linked)))
        recipients.append(explain_recipient(
            n, details=details, jobs=record.jobs.get(n.id, []), messages=record.messages.get(n.id, []),
            trigger=trigger, topics=topics.get(n.subscriber_pk, []) if n.subscriber_pk else [],
            timers=timers.get(n.temporal_workflow_id, []), runs=runs, running=running, listed_ids=listed,
        ))
    workflow = record.workflow
    snapshot = trigger.context.workflow if trigger else None
    summary = transaction_summary(recipients) if recipients else _nobody(trigger, status)
    return Explanation(
        transaction_id=transaction_id,
        workflow_identifier=workflow.identifier if workflow else (snapshot.identifier if snapshot else None),
        workflow_id=str(workflow.id) if workflow else (snapshot.id if snapshot else None),
        status=status.status, summary=summary, recipients=recipients, runs=links,
        workflow_version=snapshot.version if snapshot else None,
        replay_of=trigger.context.replay_of if trigger else None,
        replays=await explanations.replays_of(session=session, environment_id=environment_id,
                                              transaction_id=transaction_id),
    )


async def _transaction_known(session: AsyncSession, environment_id: uuid.UUID, transaction_id: str) -> bool:
    record = await explanations.transaction_record(
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
