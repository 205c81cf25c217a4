"""The shared publish operation (shared/event-apis.md §0.6): Qala publish, Bitcaster trigger, stream routing.

Two phases, so a dialect can validate a whole batch before publishing any of it:

``Publisher.prepare(...)`` checks one event (type, routing, schema) and returns a ``Prepared`` or
raises ``PublishRefused`` whose ``issues`` name the bad fields (``type``, ``data.customer.email``);
``Publisher.publish(...)`` records the event, starts ``publish:{envId}:{eventId}`` and returns the
``PublishOutcome`` (``accepted`` or ``duplicate``). ``publish_event(...)`` does both for one event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import BadRequest, ServiceUnavailable
from api.operations.payload_schema import violations
from api.operations.trigger_starts import send_policy
from api.operations.workflow_cache import WorkflowCache
from core.payloads import SubscriberInput, TenantInput, TriggerContext, TriggerInput
from core.publishing_payloads import FanOutInput, PublishInput, WebhookPolicy
from core.run_identity import PUBLISH_WORKFLOW, publish_workflow_id, trigger_workflow_id
from core.settings import Settings
from store import publishing, tenancy, tenants
from store import topics as topic_store

Routing = list[str] | Literal["routed"]


@dataclass(frozen=True)
class Issue:
    """One validation problem: ``name`` is relative to the event (``type``, ``data.email``)."""

    name: str
    reason: str
    code: str


class PublishRefused(BadRequest):
    """The event cannot be published; ``issues`` say why (rendered by every dialect)."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(f"{i.name}: {i.reason}" for i in issues),
                         field_errors={i.name: i.reason for i in issues},
                         extra={"errors": [{"name": i.name, "reason": i.reason, "code": i.code} for i in issues]})
        self.issues = issues


@dataclass(frozen=True)
class PublishOptions:
    """Optional extras: ``subscribers`` are notified besides the topic members (no audience filter);
    ``tenant`` overrides the single-audience tenant rule; ``record`` is stored on the event row."""

    subscribers: list[str] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)
    tenant: str | None = None
    record: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Prepared:
    environment_id: uuid.UUID
    event_id: str
    type: str
    data: Any
    audiences: list[str] | None
    topics: list[str]
    workflow_status: str
    trigger: TriggerInput | None
    options: PublishOptions


@dataclass(frozen=True)
class PublishOutcome:
    id: str
    type: str
    status: Literal["accepted", "duplicate"]
    topics: list[str]
    workflow_status: str | None
    workflow_id: str  # publish:{envId}:{eventId}; its result is a ``PublishResult``


def decode_payload(data: Any) -> dict[str, Any]:
    """The trigger payload: ``data`` if it is an object, else ``{"data": value}``."""
    return data if isinstance(data, dict) else {"data": data}


class Publisher:
    """One per API process (``app.state.publisher``)."""

    def __init__(self, *, settings: Settings, cache: WorkflowCache) -> None:
        self._settings = settings
        self.cache = cache
        self.task_queue = settings.temporal.task_queue

    def policy(self) -> WebhookPolicy:
        hooks = self._settings.webhooks
        return WebhookPolicy(base_waits=hooks.base_waits, window_seconds=hooks.window_seconds,
                             timeout_seconds=hooks.timeout_seconds,
                             connect_timeout_seconds=hooks.connect_timeout_seconds,
                             allow_insecure_default=self._settings.mode == "dev")

    async def prepare(
        self, session: AsyncSession, *, environment_id: uuid.UUID, event_type: str, event_id: str | None,
        data: Any, decoded: Any = None, audiences: list[str] | None = None, topics: Routing = "routed",
        options: PublishOptions | None = None, validate_schema: bool = True, require_route: bool = True,
    ) -> Prepared:
        """Check one event. ``decoded`` is ``data`` as the workflow and schema see it (default: ``data``)."""
        value = data if decoded is None else decoded
        cached = await self.cache.get(session, environment_id, event_type)
        if cached is None:
            raise PublishRefused([Issue("type", f"'{event_type}' is not an event type of this environment",
                                        "INVALID_EVENT_TYPE")])
        if topics == "routed":
            found = await publishing.routing_topics(session=session, environment_id=environment_id,
                                                    event_type=event_type)
            if not found and require_route:
                raise PublishRefused([Issue("type", f"no topic lists the event type '{event_type}'",
                                            "EVENT_TYPE_NOT_ROUTED")])
            keys = [t.key for t in found]
        else:
            keys = list(dict.fromkeys(topics))
            named = await topic_store.get_by_keys(session=session, environment_id=environment_id, keys=keys)
            if missing := [k for k in keys if k not in named]:
                raise PublishRefused([Issue("topics", f"Topic '{missing[0]}' was not found.", "NOT_FOUND")])
            if refusing := [k for k in keys if not publishing.accepts(named[k], event_type)]:
                raise PublishRefused([Issue("type", f"The event type '{event_type}' is not accepted by topic "
                                            f"'{refusing[0]}'.", "EVENT_TYPE_NOT_ON_TOPIC")])
        env = await tenancy.get_environment(session=session, environment_id=environment_id)
        schema = cached.payload_validator.schema if cached.payload_validator is not None else None
        if validate_schema and schema and env is not None and env.settings.get("isSchemaValidationEnabled", True):
            problems = violations(schema, value)
            if problems:
                raise PublishRefused([Issue(path, message, "SCHEMA_VALIDATION_FAILED") for path, message in problems])
        steps = cached.snapshot.steps
        status = ("trigger_not_active" if not cached.active else "no_workflow_steps_defined" if not steps
                  else "no_workflow_active_steps_defined" if not any(s.active for s in steps) else "processed")
        opts = options or PublishOptions()
        txid = event_id or str(uuid.uuid4())
        trigger = None
        if status == "processed" and env is not None:
            tenant = opts.tenant or (audiences[0] if audiences and len(audiences) == 1 else None)
            known = tenant and await tenants.get(session=session, environment_id=environment_id, identifier=tenant)
            context = TriggerContext(
                environment_id=str(environment_id), organization_id=str(env.organization_id), transaction_id=txid,
                workflow=cached.snapshot, payload=decode_payload(value), overrides=opts.overrides,
                tenant=TenantInput(identifier=tenant) if tenant and known else None, audiences=audiences or [],
            )
            trigger = TriggerInput(
                context=context, topic_keys=keys,
                subscribers=[SubscriberInput(subscriber_id=s) for s in opts.subscribers],
                batch_size=self._settings.worker.recipients_per_batch, policy=send_policy(self._settings),
            )
        return Prepared(environment_id, txid, event_type, data, audiences, keys, status, trigger, opts)

    async def publish(self, session: AsyncSession, temporal: Client, prepared: Prepared) -> PublishOutcome:
        """Record and start one prepared event; a reused id (event or native transaction) is a duplicate."""
        env, event_id = prepared.environment_id, prepared.event_id
        workflow_id = publish_workflow_id(str(env), event_id)

        def outcome(status: Literal["accepted", "duplicate"]) -> PublishOutcome:
            return PublishOutcome(event_id, prepared.type, status, prepared.topics,
                                  prepared.workflow_status if status == "accepted" else None, workflow_id)

        try:
            fresh = await publishing.record(
                session=session, environment_id=env, event_id=event_id, event_type=prepared.type,
                topics=prepared.topics, audiences=prepared.audiences, data=prepared.data,
                options=prepared.options.record,
            )
            if not fresh or await self._used_by_trigger(temporal, str(env), event_id):
                await session.rollback()
                return outcome("duplicate")
            event = FanOutInput(environment_id=str(env), event_id=event_id, type=prepared.type,
                                topics=prepared.topics, audiences=prepared.audiences, data=prepared.data)
            await temporal.start_workflow(
                PUBLISH_WORKFLOW, PublishInput(event=event, trigger=prepared.trigger, policy=self.policy()),
                id=workflow_id, task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                static_summary=f"publish {prepared.type} ({event_id})",
            )
            await session.commit()
        except WorkflowAlreadyStartedError:
            await session.rollback()
            return outcome("duplicate")
        except RPCError as exc:
            await session.rollback()
            raise ServiceUnavailable(f"the workflow engine is unavailable: {exc.message}") from exc
        except SQLAlchemyError as exc:
            await session.rollback()
            raise ServiceUnavailable("the database is unavailable; nothing was published") from exc
        return outcome("accepted")

    @staticmethod
    async def _used_by_trigger(temporal: Client, env: str, event_id: str) -> bool:
        """Event ids and native transactionIds share one namespace (§0.6)."""
        try:
            await temporal.get_workflow_handle(trigger_workflow_id(env, event_id)).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True


async def publish_event(
    *, publisher: Publisher, session: AsyncSession, temporal: Client, environment_id: uuid.UUID, event_type: str,
    event_id: str | None, data: Any, audiences: list[str] | None = None, topics: Routing = "routed",
    options: PublishOptions | None = None, validate_schema: bool = True, require_route: bool = True,
) -> PublishOutcome:
    """Check and publish one event; raises ``PublishRefused`` (400) or ``ServiceUnavailable`` (503)."""
    prepared = await publisher.prepare(
        session, environment_id=environment_id, event_type=event_type, event_id=event_id, data=data,
        audiences=audiences, topics=topics, options=options, validate_schema=validate_schema,
        require_route=require_route,
    )
    return await publisher.publish(session, temporal, prepared)
