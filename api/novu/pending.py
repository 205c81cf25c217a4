"""Waiting runs under control: the delays and digests pending for a subscriber, tenant or workflow,
cancelled or fast-forwarded in bulk.

Delays are runs waiting in a delay step's timer (found through visibility and through the runs that
claimed the subscriber); digests are events waiting in a digest group (the store). Cancelling a run
shared with other recipients for one subscriber closes only that subscriber's remaining steps; the
others still get theirs. Fast-forwarding ends the wait of the whole run or digest group.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError

from api.errors import BadRequest, ServiceUnavailable
from api.novu.schemas.pending import Outcome, PendingDelay, PendingDigest, PendingList
from api.operations.run_histories import delay_timers, run_context, run_url
from core.run_identity import SUBSCRIBER_ID, TRANSACTION_ID
from core.settings import TemporalSettings
from store import pending as pending_store

FAST_FORWARD_SIGNAL = "fast_forward"  # the signal of ``workflows.actions.base``
_QUERYABLE = re.compile(r"^[\w.:@/+-]{1,255}$")
WAITING_TYPES = "WorkflowType = 'TriggerWorkflow' OR WorkflowType = 'RunWorkflow'"
CHANNEL_STEPS = frozenset({"in_app", "email", "sms", "chat", "push", "webhook"})


@dataclass(frozen=True)
class Scope:
    subscriber_id: str | None = None
    tenant: str | None = None
    workflow: str | None = None

    def check(self) -> None:
        given = {k: v for k, v in (("subscriberId", self.subscriber_id), ("tenant", self.tenant),
                                   ("workflowId", self.workflow)) if v is not None}
        if len(given) != 1:
            raise BadRequest("name exactly one of subscriberId, tenant or workflowId",
                             field_errors={"subscriberId": "name exactly one of subscriberId, tenant or workflowId"})
        for field, value in given.items():
            if not _QUERYABLE.match(value):
                raise BadRequest(f"{field} has characters Clarion cannot search for", field_errors={field: value})

    def visibility(self) -> str:
        if self.subscriber_id is not None:
            return f"SubscriberId = '{self.subscriber_id}'"
        if self.tenant is not None:
            return f"TenantId = '{self.tenant}'"
        return f"WorkflowIdentifier = '{self.workflow}'"


async def find_pending(
    *, session: AsyncSession, client: Client, temporal: TemporalSettings, environment_id: uuid.UUID, scope: Scope,
) -> PendingList:
    scope.check()
    env = str(environment_id)
    recipients = await pending_store.run_keys(session=session, environment_id=environment_id,
                                              subscriber_id=scope.subscriber_id, tenant=scope.tenant,
                                              workflow=scope.workflow)
    candidates: dict[str, tuple[str | None, list[str]]] = {}
    query = f"EnvironmentId = '{env}' AND ExecutionStatus = 'Running' AND ({WAITING_TYPES}) AND {scope.visibility()}"
    try:
        async for execution in client.list_workflows(query):
            attrs = execution.typed_search_attributes
            candidates[execution.id] = (attrs.get(TRANSACTION_ID), list(attrs.get(SUBSCRIBER_ID) or []))
    except RPCError as exc:
        raise ServiceUnavailable(f"the workflow engine is unavailable: {exc.message}") from exc
    for key, subs in recipients.items():
        candidates.setdefault(key, (None, subs))
    delays: list[PendingDelay] = []
    for workflow_id, (tx, subs) in sorted(candidates.items()):
        for timer in await delay_timers(client, workflow_id):
            if timer.ended != "waiting":
                continue
            everyone = sorted(set(subs) | set(recipients.get(workflow_id, [])))
            delays.append(PendingDelay(
                workflow_id=workflow_id, transaction_id=tx or _transaction_of(workflow_id), step_id=timer.step_id,
                started_at=timer.started_at, planned_end=timer.planned_end, subscriber_ids=everyone,
                shared=scope.subscriber_id is not None and everyone != [scope.subscriber_id],
                temporal_url=run_url(temporal, workflow_id),
            ))
    digests = [
        PendingDigest(digest_workflow_id=entry.group_id, transaction_id=entry.transaction_id,
                      subscriber_id=entry.subscriber_id, step_id=entry.step_id, workflow_identifier=identifier,
                      entered_at=entry.created_at, temporal_url=run_url(temporal, entry.group_id),
                      entry_id=str(entry.id))
        for entry, identifier in await pending_store.pending_digests(
            session=session, environment_id=environment_id, subscriber_id=scope.subscriber_id, tenant=scope.tenant,
            workflow=scope.workflow)
    ]
    return PendingList(delays=delays, digests=digests)


def _transaction_of(workflow_id: str) -> str:
    # trigger:<env>:<tx>[:run:<n>]
    rest = workflow_id.split(":", 2)[-1]
    return rest.split(":run:")[0]


async def act_on_pending(
    *, session: AsyncSession, client: Client, temporal: TemporalSettings, environment_id: uuid.UUID, scope: Scope,
    action: Literal["cancel", "fast_forward"],
) -> PendingList:
    """Cancel or fast-forward everything ``find_pending`` lists; answers what it acted on."""
    found = await find_pending(session=session, client=client, temporal=temporal, environment_id=environment_id,
                               scope=scope)
    try:
        for delay in found.delays:
            handle = client.get_workflow_handle(delay.workflow_id)
            if action == "fast_forward":
                await handle.signal(FAST_FORWARD_SIGNAL)
            elif delay.shared and scope.subscriber_id is not None:
                delay.outcome = await _skip_for(session, client, environment_id, delay, scope.subscriber_id)
                continue
            else:
                await handle.cancel()
            delay.outcome = "fast_forwarded" if action == "fast_forward" else "cancelled"
        if action == "cancel":
            await pending_store.cancel_digest_entries(
                session=session, entry_ids=[uuid.UUID(d.entry_id) for d in found.digests])
            await session.commit()  # before any digest closes: it must leave these events out
        for digest in found.digests:
            if action == "fast_forward":
                await client.get_workflow_handle(digest.digest_workflow_id).signal(FAST_FORWARD_SIGNAL)
            digest.outcome = "fast_forwarded" if action == "fast_forward" else "cancelled"
    except RPCError as exc:
        raise ServiceUnavailable(f"the workflow engine is unavailable: {exc.message}") from exc
    return found


async def _skip_for(
    session: AsyncSession, client: Client, environment_id: uuid.UUID, delay: PendingDelay, subscriber_id: str,
) -> Outcome:
    context = await run_context(client, delay.workflow_id)
    if context is None:
        return "not_cancelled"
    ids = [s.id for s in context.workflow.steps]
    after = context.workflow.steps[ids.index(delay.step_id) + 1:] if delay.step_id in ids else []
    done = await pending_store.skip_rest(
        session=session, environment_id=environment_id, run_key=delay.workflow_id, subscriber_id=subscriber_id,
        steps=[(s.id, s.type) for s in after if s.type in CHANNEL_STEPS],
        why=f"the pending waits of subscriber {subscriber_id!r} were cancelled",
    )
    await session.commit()
    return "cancelled_for_subscriber" if done else "not_cancelled"
