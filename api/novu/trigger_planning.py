"""Turn trigger bodies into trigger workflow starts: the checks Novu answers synchronously.

One event becomes either a ``TriggerInput`` to start or a ``TriggerResult`` that says why not
(inactive workflow, no steps, unknown tenant). Unknown workflows and payloads failing the
workflow's schema are errors of the request (422 / 400) on the single route and an ``error``
result inside a bulk.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial

from jsonschema.exceptions import best_match
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError

from api.auth import Principal
from api.errors import ApiError, BadRequest, ServiceUnavailable, Unprocessable
from api.novu.schemas.dry_run import DryRunAnswer
from api.novu.schemas.events import BroadcastBody, TopicRecipient, TriggerBody, TriggerResult
from api.operations.trigger_coalescing import TriggerCoalescer
from api.operations.trigger_starts import send_policy, start_batched, start_trigger
from api.operations.workflow_cache import WorkflowCache
from channels.steps import email_extras
from core.dry_run_payloads import DRY_RUN_WORKFLOW, DryRunInput, DryRunResult
from core.payloads import SubscriberInput, TenantInput, TriggerContext, TriggerInput
from core.settings import Settings
from store import tenant_overrides, tenants


@dataclass(frozen=True)
class Planned:
    """An event that passed every check, ready to start."""

    input: TriggerInput

    @property
    def result(self) -> TriggerResult:
        return TriggerResult(acknowledged=True, status="processed", transaction_id=self.input.context.transaction_id)


class Triggers:
    """Plans and starts trigger workflows for one API process."""

    def __init__(self, *, settings: Settings, cache: WorkflowCache) -> None:
        self._settings = settings
        self.cache = cache
        self.task_queue = settings.temporal.task_queue
        self._coalescer = TriggerCoalescer(
            partial(start_trigger, task_queue=self.task_queue),
            partial(start_batched, task_queue=self.task_queue, source="concurrent triggers"),
            enabled=settings.api.coalesce_triggers,
        )

    async def plan(
        self, body: TriggerBody | BroadcastBody, principal: Principal, session: AsyncSession
    ) -> Planned | TriggerResult:
        """Check one event; raise ``ApiError`` for a bad request, return a status for a refused one."""
        env = principal.environment_id
        txid = body.transaction_id or uuid.uuid4().hex

        def refused(status: str) -> TriggerResult:
            return TriggerResult.model_validate({"acknowledged": True, "status": status, "transaction_id": txid})

        cached = await self.cache.get(session, env, body.name)
        if cached is None:
            raise Unprocessable(
                "workflow_not_found", field_errors={"name": f"workflow_not_found: no workflow {body.name!r} exists"},
            )
        if not cached.active:
            return refused("trigger_not_active")
        if not cached.snapshot.steps:
            return refused("no_workflow_steps_defined")
        if not any(step.active for step in cached.snapshot.steps):
            return refused("no_workflow_active_steps_defined")
        if cached.payload_validator is not None:
            error = best_match(cached.payload_validator.iter_errors(body.payload))
            if error is not None:
                field = ".".join(["payload", *(str(p) for p in error.absolute_path)])
                raise BadRequest(f"payload does not match the workflow's schema: {error.message}",
                                 field_errors={field: error.message})
        if problems := email_extras.check(body.payload, body.overrides):
            field, message = next(iter(problems.items()))
            raise BadRequest(f"Invalid email overrides or attachments: {field} {message}", field_errors=problems)
        tenant = TenantInput(identifier=body.tenant) if isinstance(body.tenant, str) else (
            body.tenant.to_input() if body.tenant else None
        )
        known = isinstance(body.tenant, str) and await tenants.get(
            session=session, environment_id=env, identifier=body.tenant
        )
        if isinstance(body.tenant, str) and not known:
            return refused("no_tenant_found")
        if tenant is not None and await tenant_overrides.deactivated(
            session=session, environment_id=env, tenant_identifier=tenant.identifier,
            workflow_id=uuid.UUID(cached.snapshot.id),
        ):
            return refused("trigger_not_active")  # the tenant switched this workflow off
        actor = SubscriberInput(subscriber_id=body.actor) if isinstance(body.actor, str) else (
            body.actor.to_input() if body.actor else None
        )
        context = TriggerContext(
            environment_id=str(env), organization_id=str(principal.organization_id), transaction_id=txid,
            workflow=cached.snapshot, payload=body.payload, overrides=body.overrides, actor=actor, tenant=tenant,
        )
        inp = TriggerInput(context=context, batch_size=self._settings.worker.recipients_per_batch,
                           policy=send_policy(self._settings))
        if isinstance(body, BroadcastBody):
            inp.everyone = True
            return Planned(inp)
        subscribers: dict[str, SubscriberInput] = {}
        for recipient in body.recipients():
            if isinstance(recipient, TopicRecipient):
                inp.topic_keys.append(recipient.topic_key)
            elif isinstance(recipient, str):
                subscribers.setdefault(recipient, SubscriberInput(subscriber_id=recipient))
            else:
                subscribers[recipient.subscriber_id] = recipient.to_input()  # the fullest (last) object wins
        inp.subscribers = list(subscribers.values())
        inp.topic_keys = list(dict.fromkeys(inp.topic_keys))
        return Planned(inp)

    async def trigger(
        self, body: TriggerBody | BroadcastBody, principal: Principal, session: AsyncSession, client: Client
    ) -> TriggerResult:
        """Plan one event and start it when it passed; the result says which."""
        planned = await self.plan(body, principal, session)
        if isinstance(planned, TriggerResult):
            return planned
        await self.start(client, planned)
        return planned.result

    async def dry_run(
        self, body: TriggerBody | BroadcastBody, principal: Principal, session: AsyncSession, client: Client
    ) -> TriggerResult:
        """Plan one event and answer what it would do, through the worker's own rules, changing nothing."""
        planned = await self.plan(body, principal, session)
        if isinstance(planned, TriggerResult):
            return planned
        try:
            result = await client.execute_workflow(
                DRY_RUN_WORKFLOW, DryRunInput(trigger=planned.input),
                id=f"dry-run:{principal.environment_id}:{uuid.uuid4().hex}", task_queue=self.task_queue,
                result_type=DryRunResult, static_summary=f"dry run of {body.name}",
            )
        except RPCError as exc:
            raise ServiceUnavailable(f"the workflow engine is unavailable: {exc.message}") from exc
        return TriggerResult(acknowledged=True, status="dry_run", transaction_id=planned.input.context.transaction_id,
                             dry_run=DryRunAnswer.of(result))

    async def start(self, client: Client, planned: Planned) -> None:
        await self._coalescer.start(client, planned.input)

    @staticmethod
    def error_result(exc: ApiError, transaction_id: str | None) -> TriggerResult:
        reasons = [f"{field}: {message}" for field, message in exc.field_errors.items()] or [exc.message]
        return TriggerResult(acknowledged=False, status="error", transaction_id=transaction_id, error=reasons)
