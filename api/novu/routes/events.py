"""Novu's event routes: trigger, bulk trigger, broadcast and cancel."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import ValidationError
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from api.deps import NativeAuth, SessionDep, TemporalDep
from api.errors import ApiError, BadRequest, ServiceUnavailable
from api.novu.schemas.events import (
    BroadcastBody,
    BulkEnvelope,
    CancelEnvelope,
    TriggerBody,
    TriggerEnvelope,
    TriggerResult,
)
from api.novu.trigger_planning import Planned, Triggers
from api.operations.trigger_starts import start_batched
from core.run_identity import CANCEL_TRANSACTION_SIGNAL, trigger_workflow_id
from store import action_state, transaction_claims

router = APIRouter(prefix="/v1/events", tags=["events"])
MAX_BULK = 100
# Transaction ids that can be quoted safely inside a visibility query.
_QUERYABLE = re.compile(r"^[\w.:@/+-]+$")


async def get_triggers(request: Request) -> Triggers:
    triggers: Triggers = request.app.state.triggers
    return triggers


TriggersDep = Annotated[Triggers, Depends(get_triggers)]
_ENVELOPE: dict[str, Any] = {"response_model_exclude_none": True, "status_code": 201}


@router.post("/trigger", response_model=TriggerEnvelope, **_ENVELOPE)
async def trigger(
    body: TriggerBody, principal: NativeAuth, session: SessionDep, temporal: TemporalDep, triggers: TriggersDep
) -> TriggerEnvelope:
    """Trigger a notification workflow for subscribers and topics; with ``dryRun: true``, answer who
    would receive what on which channel (and why not) without sending or storing anything."""
    if body.dry_run:
        return TriggerEnvelope(data=await triggers.dry_run(body, principal, session, temporal))
    return TriggerEnvelope(data=await triggers.trigger(body, principal, session, temporal))


@router.post("/trigger/broadcast", response_model=TriggerEnvelope, **_ENVELOPE)
async def broadcast(
    body: BroadcastBody, principal: NativeAuth, session: SessionDep, temporal: TemporalDep, triggers: TriggersDep
) -> TriggerEnvelope:
    """Trigger a notification workflow for every subscriber of the environment (``dryRun`` as above)."""
    if body.dry_run:
        return TriggerEnvelope(data=await triggers.dry_run(body, principal, session, temporal))
    return TriggerEnvelope(data=await triggers.trigger(body, principal, session, temporal))


@router.post("/trigger/bulk", response_model=BulkEnvelope, **_ENVELOPE)
async def trigger_bulk(
    principal: NativeAuth, session: SessionDep, temporal: TemporalDep, triggers: TriggersDep,
    events: Annotated[list[dict[str, Any]], Body(embed=True)],
) -> BulkEnvelope:
    """Trigger up to 100 events at once; each gets its own result, in order."""
    if not events:
        raise BadRequest("events should not be empty", field_errors={"events": "events should not be empty"})
    if len(events) > MAX_BULK:
        message = f"events must contain no more than {MAX_BULK} elements"
        raise BadRequest(message, field_errors={"events": message})
    results: list[TriggerResult] = []
    planned: list[Planned] = []
    for index, raw in enumerate(events):
        txid = raw.get("transactionId") if isinstance(raw.get("transactionId"), str) else None
        try:
            body = TriggerBody.model_validate(raw)
            if body.dry_run:  # answered in place; nothing of it is started
                results.append(await triggers.dry_run(body, principal, session, temporal))
                continue
            outcome = await triggers.plan(body, principal, session)
        except ValidationError as exc:
            reasons = [f"events[{index}].{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
            results.append(TriggerResult(acknowledged=False, status="error", transaction_id=txid, error=reasons))
            continue
        except ApiError as exc:
            results.append(Triggers.error_result(exc, txid))
            continue
        if isinstance(outcome, Planned):
            planned.append(outcome)
            results.append(outcome.result)
        else:
            results.append(outcome)
    if planned:
        # The events of one workflow run together, in one batched run (workflows/batched.py).
        await start_batched(temporal, [p.input for p in planned], task_queue=triggers.task_queue)
    return BulkEnvelope(data=results)


@router.delete("/trigger/{transactionId}", response_model=CancelEnvelope)
async def cancel(
    transactionId: str, principal: NativeAuth, temporal: TemporalDep, session: SessionDep
) -> CancelEnvelope:
    """Cancel every run still in progress for a transaction id, and take its events out of pending
    digests; false when nothing was running or waiting."""
    env = str(principal.environment_id)
    # Recorded first: a digest closing from now on leaves the event out.
    in_digest = await action_state.cancel_transaction(
        session=session, environment_id=principal.environment_id, transaction_id=transactionId
    )
    await session.commit()
    ids = {trigger_workflow_id(env, transactionId)}
    # A batched run holds other transactions too: it is asked to cancel this one only.
    batched = {owner} if (owner := await transaction_claims.owner_of(
        session=session, environment_id=principal.environment_id, transaction_id=transactionId)) else set()
    try:
        if _QUERYABLE.match(transactionId):
            query = (f"EnvironmentId = '{env}' AND TransactionId = '{transactionId}' "
                     "AND ExecutionStatus = 'Running'")
            ids |= {execution.id async for execution in temporal.list_workflows(query)}
            query = f"EnvironmentId = '{env}' AND TransactionIds = '{transactionId}' AND ExecutionStatus = 'Running'"
            batched |= {execution.id async for execution in temporal.list_workflows(query)}
        cancelled = await _cancel_in_batches(temporal, batched, transactionId)
        for workflow_id in ids:
            handle = temporal.get_workflow_handle(workflow_id)
            try:
                description = await handle.describe()
            except RPCError as exc:
                if exc.status == RPCStatusCode.NOT_FOUND:
                    continue
                raise
            if description.status == WorkflowExecutionStatus.RUNNING:
                await handle.cancel()
                cancelled = True
    except RPCError as exc:
        raise ServiceUnavailable(f"the workflow engine is unavailable: {exc.message}") from exc
    return CancelEnvelope(data=cancelled or in_digest)


async def _cancel_in_batches(temporal: Client, workflow_ids: set[str], transaction_id: str) -> bool:
    """Signal each running batched run to cancel the transaction; whether one was running."""
    signalled = False
    for workflow_id in sorted(workflow_ids):
        try:
            await temporal.get_workflow_handle(workflow_id).signal(CANCEL_TRANSACTION_SIGNAL, transaction_id)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:  # closed already: nothing left to cancel
                continue
            raise
        signalled = True
    return signalled
