"""The Temporal worker: every workflow and activity of Clarion, wired to the store and providers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.action_steps import action_step_activities
from activities.audience import AudienceActivities
from activities.backoff import Backoff
from activities.batched import BatchedActivities
from activities.dispatch import DispatchActivities
from activities.dry_run import DryRunActivities
from activities.email_tracking import EmailTracking
from activities.lifecycle import LifecycleEmitter, policy_of, sweep_outbox
from activities.live import LiveActivities, LiveEvents
from activities.mail_headers import MailHeaders
from activities.providers import IntegrationProviders, ProviderSource
from activities.publishing import PublishingActivities
from activities.recipients import RecipientActivities
from activities.redrive import RedriveActivities
from activities.retention import RetentionActivities
from activities.webhooks import WebhookActivities
from channels import ChannelRegistry
from core.run_identity import ALL
from core.settings import Settings
from store.crypto import CredentialCipher
from store.engine import Sessions, create_engine, make_sessions
from store.realtime import NullBus, RealtimeBus, make_bus
from templates import TemplateRenderer
from workflows.batched import BatchedTriggerWorkflow
from workflows.bulk import BulkTriggerWorkflow
from workflows.digest_group import DigestWorkflow
from workflows.dry_run import DryRunWorkflow
from workflows.publish import PublishWorkflow
from workflows.redrive import RedriveWorkflow
from workflows.retention import StreamRetentionWorkflow
from workflows.run import RunWorkflow
from workflows.trigger import TriggerWorkflow
from workflows.webhooks import WebhookDeliveryWorkflow

from .connect import connect_until_up
from .observability.temporal import worker_interceptors
from .schedules import ensure_retention_schedule

logger = logging.getLogger(__name__)
WORKFLOWS = [
    TriggerWorkflow, RunWorkflow, BulkTriggerWorkflow, PublishWorkflow, WebhookDeliveryWorkflow, DigestWorkflow,
    StreamRetentionWorkflow, RedriveWorkflow, DryRunWorkflow, BatchedTriggerWorkflow,
]
# The sandbox re-imports a workflow's modules for every new run. Rebuilding the pydantic classes of
# ``core`` and re-running ``@workflow.defn`` over the workflow classes cost more than the rest of a
# short run (a third of the worker's CPU per single trigger), so the worker shares both packages:
# they are deterministic and keep no state between runs. Sharing them also means the sandbox no
# longer stops a forbidden call (``datetime.now()``, I/O) in their code: ``STRICT_SANDBOX``
# re-imports the workflow modules under the sandbox's restrictions, and the replay and timer tests
# run every workflow under it.
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("core", "workflows")
)
STRICT_SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("core", "workflows.actions")
)


def build_worker(
    client: Client, settings: Settings, *, sessions: Sessions, providers: ProviderSource, task_queue: str | None = None,
    bus: RealtimeBus | None = None,
) -> Worker:
    bus = bus or NullBus()  # activities publish real-time events on it after their commits
    dispatch = DispatchActivities(
        sessions=sessions, renderer=TemplateRenderer(), providers=providers,
        concurrency=settings.worker.send_concurrency,
        backoff=Backoff(base_seconds=settings.worker.retry_base_seconds, caps=settings.worker.retry_cap_seconds),
        live=(live := LiveEvents(bus=bus, sessions=sessions)),
        allow_private_addresses=settings.private_addresses_allowed,
        unknown_outcome=settings.worker.unknown_outcome,
        unknown_after_seconds=settings.worker.unknown_outcome_after_seconds,
    )
    dispatch.mail_headers = MailHeaders(settings.public_api_url, settings.secret_key.get_secret_value())
    dispatch.email_tracking = EmailTracking(settings.public_api_url, settings.secret_key.get_secret_value(), sessions)
    dispatch.lifecycle = LifecycleEmitter(sessions=sessions, client=client, policy=policy_of(settings),
                                          task_queue=task_queue or settings.temporal.task_queue,
                                          sweep_after_seconds=settings.webhooks.outbox_sweep_after_seconds)
    recipients = RecipientActivities(sessions=sessions)
    publishing = PublishingActivities(sessions=sessions, bus=bus)
    webhooks = WebhookActivities(
        sessions=sessions, cipher=CredentialCipher(settings.secret_key.get_secret_value()), bus=bus
    )
    retention = RetentionActivities(sessions=sessions)
    live_activities = LiveActivities(live=live)
    batched = BatchedActivities(sessions=sessions, dispatch=dispatch)
    return Worker(
        client,
        task_queue=task_queue or settings.temporal.task_queue,
        workflows=WORKFLOWS,
        activities=[dispatch.send_step, recipients.resolve_recipients,
                    AudienceActivities(sessions=sessions).plan_audience_page, publishing.fan_out_event,
                    webhooks.attempt_webhook, webhooks.finish_webhook, *action_step_activities(sessions),
                    retention.sweep_stream_retention, retention.purge_expired_records, sweep_outbox,
                    live_activities.publish_run_closed, live_activities.publish_runs_closed,
                    batched.claim_transactions, batched.send_steps,
                    RedriveActivities(sessions=sessions).reopen_deliveries,
                    DryRunActivities(sessions=sessions, renderer=TemplateRenderer(), providers=providers,
                                     allow_private_addresses=settings.private_addresses_allowed).dry_run],
        max_concurrent_activities=settings.worker.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.worker.max_concurrent_workflow_tasks,
        workflow_runner=SANDBOX,
        # A deploy is a SIGTERM, not a crash: in-flight sends finish before activities are cancelled.
        graceful_shutdown_timeout=timedelta(seconds=settings.worker.graceful_shutdown_seconds),
        interceptors=worker_interceptors(),
    )


async def ensure_search_attributes(client: Client, namespace: str) -> None:
    """Register Clarion's search attributes on a server that lacks them (a fresh production cluster)."""
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type.value)
        for key in ALL
        if key.name not in existing.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
        logger.info("registered search attributes %s", sorted(missing))


def load_channels() -> ChannelRegistry:
    registry, failures = ChannelRegistry.from_entry_points()
    for failure in failures:
        logger.error("channel provider %s not loaded: %s", failure.entry_point, failure.error)
    return registry


@asynccontextmanager
async def open_worker(
    settings: Settings, *, client: Client | None = None, sessions: Sessions | None = None,
    task_queue: str | None = None, bus: RealtimeBus | None = None,
) -> AsyncIterator[Worker]:
    """A running worker (and its database engine when none is handed in), stopped on exit."""
    engine = None
    if sessions is None:
        engine = create_engine(settings.database_url, pool_size=settings.database.pool_size)
        sessions = make_sessions(engine)
    if client is None:
        client = await connect_until_up(settings)
        await ensure_search_attributes(client, settings.temporal.namespace)
        # Production start-up only (tests hand in a client): the stream retention sweep every 60 s.
        await ensure_retention_schedule(client, task_queue or settings.temporal.task_queue)
    providers = IntegrationProviders(
        registry=load_channels(), sessions=sessions, smtp=settings.smtp,
        cipher=CredentialCipher(settings.secret_key.get_secret_value()),
    )
    own_bus = bus is None  # a worker process of its own publishes on the configured bus
    if bus is None:
        bus = make_bus(settings.realtime_bus, database_url=settings.database_url, redis_url=settings.redis_url)
        await bus.start()
    worker = build_worker(client, settings, sessions=sessions, providers=providers, task_queue=task_queue, bus=bus)
    try:
        async with worker:
            yield worker
    finally:
        if own_bus:
            await bus.close()
        if engine is not None:
            await engine.dispose()
