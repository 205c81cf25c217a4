"""Replay a past transaction: the original event (recipients, payload, actor, tenant, overrides)
as a new transaction, against the workflow as saved now or as the original run used it."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.errors import Conflict, NotFound, Unprocessable
from api.novu.schemas.replay import ReplayAnswer, ReplayBody
from api.operations.run_histories import run_status, run_url, started_input
from api.operations.trigger_starts import start_trigger
from api.operations.workflow_cache import WorkflowCache
from core.payloads import TriggerInput
from core.run_identity import trigger_workflow_id
from core.settings import TemporalSettings


async def start_replay(
    *, session: AsyncSession, client: Client, cache: WorkflowCache, temporal: TemporalSettings,
    environment_id: uuid.UUID, transaction_id: str, body: ReplayBody,
) -> ReplayAnswer:
    env = str(environment_id)
    original = await started_input(client, trigger_workflow_id(env, transaction_id), TriggerInput)
    if original is None:
        raise NotFound(f"Transaction {transaction_id!r} was not found, or its run's history has expired")
    new_id = body.transaction_id or uuid.uuid4().hex
    new_workflow_id = trigger_workflow_id(env, new_id)
    if (await run_status(client, new_workflow_id)).status != "unknown":
        raise Conflict(f"Transaction {new_id!r} exists already; choose another transactionId")
    snapshot = original.context.workflow
    if body.definition == "current":
        cached = await cache.get(session, environment_id, snapshot.identifier)
        if cached is None:
            raise Unprocessable("workflow_not_found", field_errors={
                "definition": f"workflow {snapshot.identifier!r} no longer exists; replay it with 'original'"})
        if not cached.active:
            raise Conflict(f"Workflow {snapshot.identifier!r} is inactive; replay it with definition 'original' "
                           "or activate it")
        snapshot = cached.snapshot
    context = original.context.model_copy(update={"transaction_id": new_id, "workflow": snapshot,
                                                  "replay_of": transaction_id})
    await start_trigger(client, original.model_copy(update={"context": context}), task_queue=temporal.task_queue)
    return ReplayAnswer(transaction_id=new_id, replay_of=transaction_id, definition=body.definition,
                        workflow_version=snapshot.version, temporal_url=run_url(temporal, new_workflow_id))

