"""One channel step for many events at once (``DispatchActivities.send_group``, what a batched run's
coalesced call uses): the store is read and written a fixed number of times whatever the number of
events, and everything decided stays per event (counted on the real database, outside Temporal)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import ActivityEnvironment

from activities.batched import BatchedActivities
from activities.dispatch import DispatchActivities
from activities.providers import IntegrationProviders
from api.operations.workflow_cache import WorkflowCache
from clarion.worker import load_channels
from core.batched import StepItems
from core.payloads import Batch, StepInput, SubscriberInput, TenantInput, TriggerContext
from core.settings import SmtpSettings
from store.crypto import CredentialCipher
from store.engine import Sessions, make_sessions
from store.models import Message, Notification, Tenant
from templates import TemplateRenderer
from tests.delivery.test_lifecycle_cost import statements
from tests.factories import two_environments
from tests.pipeline.factories import add_subscribers, add_workflow, set_preference

STEPS = [{"id": "note", "type": "in_app", "active": True, "controls": {
    "body": "{{ payload.n }} from {{ actor.subscriberId | default('nobody') }} at "
            "{{ tenant.identifier | default('none') }} for {{ subscriber.subscriberId }}"}}]


@dataclass
class Setup:
    sessions: Sessions
    env: uuid.UUID
    workflow_id: uuid.UUID
    batched: BatchedActivities


@pytest.fixture
async def setup(engine: AsyncEngine) -> Setup:
    sessions = make_sessions(engine)
    env = (await two_environments(sessions)).env_a.id
    workflow_id = await add_workflow(sessions, env, "note", steps=STEPS)
    providers = IntegrationProviders(registry=load_channels(), sessions=sessions, smtp=SmtpSettings(),
                                     cipher=CredentialCipher("k" * 32))
    dispatch = DispatchActivities(sessions=sessions, renderer=TemplateRenderer(), providers=providers)
    return Setup(sessions, env, workflow_id, BatchedActivities(sessions=sessions, dispatch=dispatch))


async def items(s: Setup, count: int, prefix: str) -> StepItems:
    async with s.sessions() as session:
        cached = await WorkflowCache().get(session, s.env, "note")
    assert cached is not None
    inputs = []
    for i in range(count):
        tx = f"{prefix}-{i}"
        ctx = TriggerContext(
            environment_id=str(s.env), organization_id=str(uuid.uuid4()), transaction_id=tx, workflow=cached.snapshot,
            payload={"n": i}, actor=SubscriberInput(subscriber_id=f"{prefix}-actor-{i}") if i % 2 else None,
            tenant=TenantInput(identifier=f"{prefix}-t{i % 3}", name=f"T{i}") if i % 3 == 0 else None,
        )
        batch = Batch(key=f"trigger:{s.env}:{tx}", kind="inline",
                      subscribers=[SubscriberInput(subscriber_id=f"{prefix}-r{i}", first_name=f"R{i}")])
        inputs.append(StepInput(context=ctx, batch=batch, step_index=0, max_attempts=3))
    return StepItems(inputs=inputs)


async def test_a_group_costs_the_same_statements_for_3_events_as_for_40(setup: Setup, engine: AsyncEngine) -> None:
    run = ActivityEnvironment().run
    counts = []
    for prefix, size in (("small", 3), ("large", 40)):
        group = await items(setup, size, prefix)
        with statements(engine) as seen:
            result = await run(setup.batched.send_steps, group)
        assert [(i.outcome.recipients, i.outcome.sent) for i in result.items if i.outcome] == [(1, 1)] * size
        counts.append(len(seen))
    # The same statements, but for one more INSERT of notifications: the large group has events with both
    # an actor and a tenant, a fourth set of columns. A per-event read or write would add 37 or more.
    assert counts[1] <= counts[0] + 1, counts


async def test_each_event_of_a_group_keeps_its_payload_actor_tenant_and_preferences(setup: Setup) -> None:
    group = await items(setup, 6, "g")
    await add_subscribers(setup.sessions, setup.env, ["g-r4"])  # who turned this workflow's in-app off beforehand
    await set_preference(setup.sessions, setup.env, "g-r4", workflow_id=setup.workflow_id, channels={"in_app": False})
    run = ActivityEnvironment().run
    first = await run(setup.batched.send_steps, group)
    assert [(i.outcome.sent, i.outcome.skipped) for i in first.items if i.outcome] == \
        [(1, 0)] * 4 + [(0, 1), (1, 0)]
    again = await run(setup.batched.send_steps, group)  # a retried call sends nothing twice
    assert all(i.outcome is not None and i.outcome.sent == 0 for i in again.items)
    async with setup.sessions() as session:
        stored = {m.subscriber_id: m for m in await session.scalars(select(Message))}
        notifications = {n.subscriber_id: n.transaction_id for n in await session.scalars(select(Notification))}
        tenants = {t.identifier: t.name for t in await session.scalars(select(Tenant))}
    assert sorted(stored) == ["g-r0", "g-r1", "g-r2", "g-r3", "g-r5"]
    assert stored["g-r0"].content == "0 from nobody at g-t0 for g-r0"
    assert stored["g-r3"].content == "3 from g-actor-3 at g-t0 for g-r3"
    assert stored["g-r5"].content == "5 from g-actor-5 at none for g-r5"
    assert all(stored[s].transaction_id == f"g-{s[-1]}" for s in stored)
    assert notifications["g-r4"] == "g-4"  # claimed, then skipped by its preference
    assert tenants == {"g-t0": "T3"}  # two events named it; the later one's fields won
