"""Plan and start a re-drive: the failed and unknown deliveries of a transaction, grouped per run and
step, each with the context its original run had (read back from Temporal)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.errors import Conflict, NotFound, ServiceUnavailable
from api.novu.schemas.redrive import RedriveBody
from api.operations.run_histories import run_status, started_input
from core.payloads import RunInput, SendPolicy, TriggerContext, TriggerInput
from core.redrive_payloads import REDRIVE_WORKFLOW, RedriveGroup, RedriveInput
from core.run_identity import run_attributes, trigger_workflow_id
from store import redrive
from store.redrive import Redrivable


@dataclass(frozen=True)
class PlannedRedrive:
    deliveries: list[Redrivable]
    workflow_id: str | None


def redrive_workflow_id(environment_id: str, transaction_id: str) -> str:
    """One re-drive of a transaction at a time: a second one while it runs is refused."""
    return f"redrive:{environment_id}:{transaction_id}"


async def _context(client: Client, run_key: str, trigger_id: str) -> TriggerContext | None:
    if run_key == trigger_id:
        trigger = await started_input(client, run_key, TriggerInput)
        return trigger.context if trigger else None
    run = await started_input(client, run_key, RunInput)
    return run.context if run else None


async def start_redrive(
    *, session: AsyncSession, client: Client, task_queue: str, policy: SendPolicy, environment_id: uuid.UUID,
    transaction_id: str, body: RedriveBody,
) -> PlannedRedrive:
    """Select what to send again and start the re-drive run; raise 404 / 409 when it cannot be."""
    env = str(environment_id)
    if not await redrive.transaction_exists(session=session, environment_id=environment_id,
                                            transaction_id=transaction_id):
        raise NotFound(f"Transaction {transaction_id!r} was not found")
    trigger_id = trigger_workflow_id(env, transaction_id)
    if (await run_status(client, trigger_id)).status == "running":
        raise Conflict(f"Transaction {transaction_id!r} is still running; re-drive it when it has finished")
    found = await redrive.redrivable(
        session=session, environment_id=environment_id, transaction_id=transaction_id,
        subscriber_ids=body.subscriber_ids, channels=body.channels, steps=body.steps, include=body.include,
    )
    if not found:
        return PlannedRedrive(deliveries=[], workflow_id=None)
    by_group: dict[tuple[str, str], list[str]] = defaultdict(list)
    for d in found:
        by_group[(d.run_key, d.step_id)].append(d.subscriber_id)
    contexts: dict[str, TriggerContext] = {}
    groups: list[RedriveGroup] = []
    for (run_key, step_id), subscriber_ids in by_group.items():
        if run_key not in contexts:
            context = await _context(client, run_key, trigger_id)
            if context is None:
                raise Conflict(f"The history of run {run_key!r} has expired; its deliveries cannot be re-driven")
            contexts[run_key] = context
        context = contexts[run_key]
        index = next(i for i, s in enumerate(context.workflow.steps) if s.id == step_id)
        groups.append(RedriveGroup(run_key=run_key, step_index=index, context=context, subscriber_ids=subscriber_ids))
    first = next(iter(contexts.values()))
    workflow_id = redrive_workflow_id(env, transaction_id)
    try:
        await client.start_workflow(
            REDRIVE_WORKFLOW,
            RedriveInput(environment_id=env, transaction_id=transaction_id, groups=groups, policy=policy),
            id=workflow_id, task_queue=task_queue,
            # The original's transaction id: the Temporal UI lists the re-drive with the runs it re-drives.
            search_attributes=run_attributes(
                environment_id=env, transaction_id=transaction_id, workflow_identifier=first.workflow.identifier,
                tenant_id=first.tenant.identifier if first.tenant else None,
                subscriber_ids=[d.subscriber_id for d in found],
            ),
            static_summary=f"re-drive of {len(found)} delivery(ies) of {transaction_id}",
        )
    except WorkflowAlreadyStartedError:
        raise Conflict(f"A re-drive of transaction {transaction_id!r} is still running") from None
    except RPCError as exc:
        raise ServiceUnavailable(f"the workflow engine is unavailable: {exc.message}") from exc
    return PlannedRedrive(deliveries=found, workflow_id=workflow_id)
