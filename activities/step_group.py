"""What one channel step needs from the store, read for a group of runs at once.

A group is the same step of one workflow version in one environment, for one run or for the many
events of a batched run. Every read is one statement for the whole group (or one per distinct tenant
for the content), so a hundred events cost about what one does; what is decided stays per run.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activities.content import StepContent, load_content
from activities.context import actor_view, tenant_view
from activities.recipients import CLAIMED_NOW, Claimed, claim_batches
from channels.steps import StepKind
from core.payloads import StepInput, StepOutcome, StepSpec
from store import delivery_ledger as deliveries
from store import preferences, subscribers, tenants
from store.models import Job, Message, Notification
from store.preferences import PreferencePair

SAMPLE_IDS = 40


@dataclass
class GroupItem:
    """One run of the group: its recipients, their idempotency keys, its template context and outcome."""

    inp: StepInput
    claimed: Claimed
    keys: dict[uuid.UUID, str]  # notification id -> the delivery's idempotency key
    base: dict[str, Any]
    content: StepContent
    outcome: StepOutcome


@dataclass
class LoadedGroup:
    items: list[GroupItem]
    jobs: Mapping[uuid.UUID, Job]
    prefs: Mapping[uuid.UUID, PreferencePair]
    earlier: Mapping[str, Message]
    created: list[Notification]  # notifications this attempt claimed (for notification.created events)


def group_key(inp: StepInput) -> tuple[str, str, int, str]:
    """Items with the same key share one ``load_group`` and one delivery pass: the same step of the same
    saved version (compared whole where the snapshot has no version)."""
    ctx = inp.context
    version = ctx.workflow.version
    step = str(inp.step_index) if version is not None else ctx.workflow.steps[inp.step_index].model_dump_json()
    return ctx.environment_id, ctx.workflow.id, version or 0, step


async def load_group(session: AsyncSession, group: list[StepInput], step: StepSpec, kind: StepKind) -> LoadedGroup:
    """Claim every run's recipients and read their jobs, preferences, earlier messages and content."""
    ctx = group[0].context
    env = uuid.UUID(ctx.environment_id)
    claims = await claim_batches(session, [(inp.context, inp.batch) for inp in group])
    created = [n for n, _ in session.info.pop(CLAIMED_NOW, [])]
    contexts = [inp.context for inp in group]
    actors = await subscribers.get_many(session=session, environment_id=env,
                                        subscriber_ids=[c.actor.subscriber_id for c in contexts if c.actor])
    tenant_rows = await tenants.get_many(session=session, environment_id=env,
                                         identifiers=[c.tenant.identifier for c in contexts if c.tenant])
    recipients = [pair for claimed in claims for pair in claimed]
    jobs = await deliveries.ensure_jobs(
        session=session, environment_id=env, notification_ids=[n.id for n, _ in recipients], step_id=step.id,
        step_type=step.type,
    )
    prefs = await preferences.for_subscribers(
        session=session, environment_id=env, subscriber_pks=list({s.id for _, s in recipients}),
        workflow_id=uuid.UUID(ctx.workflow.id),
    )
    contents: dict[str | None, StepContent] = {}  # the content differs by tenant only
    items: list[GroupItem] = []
    for inp, claimed in zip(group, claims, strict=True):
        c = inp.context
        tenant = c.tenant.identifier if c.tenant else None
        if tenant not in contents:
            contents[tenant] = await load_content(session=session, environment_id=env, context=c, step=step, kind=kind)
        actor = actors.get(c.actor.subscriber_id) if c.actor else None
        items.append(GroupItem(
            inp=inp, claimed=claimed, content=contents[tenant],
            keys={n.id: f"{inp.batch.key}:{step.id}:{s.subscriber_id}" for n, s in claimed},
            base={"payload": c.payload, "actor": actor_view(c.actor, actor),
                  "tenant": tenant_view(c.tenant, tenant_rows.get(tenant) if tenant else None),
                  "step": dict(c.step_data)},
            outcome=StepOutcome(step_id=step.id, recipients=len(claimed),
                                sample_subscriber_ids=[s.subscriber_id for _, s in claimed][:SAMPLE_IDS]),
        ))
    earlier = await deliveries.messages_by_key(session=session, keys=[k for i in items for k in i.keys.values()])
    return LoadedGroup(items=items, jobs=jobs, prefs=prefs, earlier=earlier, created=created)
