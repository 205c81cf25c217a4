"""Who a trigger reaches: upsert inline subscribers, split topics into pages, claim a batch."""

from __future__ import annotations

import uuid
from itertools import pairwise

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

from activities import lifecycle
from core.payloads import Batch, ResolveInput, ResolveResult, SubscriberInput, TriggerContext
from core.subscriber_selector import Selector
from store import delivery_ledger as deliveries
from store import subscribers, tenants, topics
from store.engine import Sessions
from store.models import Notification, Subscriber, Tenant

Claimed = list[tuple[Notification, Subscriber]]
# ``session.info`` key: the notifications this session's claim created (for notification.created events).
CLAIMED_NOW = "clarion.claimed_now"


def _chunks(items: list[SubscriberInput], size: int) -> list[list[SubscriberInput]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def in_audience(member: Subscriber, audiences: list[str] | None) -> bool:
    """A scoped member (one with audiences) gets only events addressed to one of them (§1.4)."""
    return audiences is None or not member.audiences or bool(set(member.audiences) & set(audiences))


async def upsert_parties(session: AsyncSession, ctx: TriggerContext) -> tuple[Subscriber | None, Tenant | None]:
    """Create or update the trigger's actor and tenant objects; return them as stored."""
    env = uuid.UUID(ctx.environment_id)
    actor = None
    if ctx.actor is not None:
        profiles = {ctx.actor.subscriber_id: ctx.actor.profile()}
        actor = (await subscribers.upsert_many(session=session, environment_id=env, profiles=profiles))[
            ctx.actor.subscriber_id
        ]
    tenant = None
    if ctx.tenant is not None:
        fields = ctx.tenant.model_dump(include={"name", "data"}, exclude_none=True)
        if fields:
            tenant = await tenants.upsert(
                session=session, environment_id=env, identifier=ctx.tenant.identifier, fields=fields
            )
        else:
            tenant = await tenants.get(session=session, environment_id=env, identifier=ctx.tenant.identifier)
    return actor, tenant


async def claim_batch(session: AsyncSession, ctx: TriggerContext, batch: Batch) -> Claimed:
    """The batch's recipients with their notifications, claiming them on the first call.

    Topic and broadcast fan-outs leave the actor out; a subscriber already claimed by another run
    of the same transaction (a member of two topics) is left to that run.
    """
    env = uuid.UUID(ctx.environment_id)
    done = await deliveries.claimed(
        session=session, environment_id=env, transaction_id=ctx.transaction_id, run_key=batch.key
    )
    if done:
        return done
    actor_id = ctx.actor.subscriber_id if ctx.actor else None
    if batch.kind == "inline":
        await upsert_parties(session, ctx)
        profiles = {s.subscriber_id: s.profile() for s in batch.subscribers}
        stored = await subscribers.upsert_many(session=session, environment_id=env, profiles=profiles)
        members = [stored[sid] for sid in profiles]
    elif batch.kind == "topic":
        assert batch.topic_id is not None
        members = await topics.members_in_range(
            session=session, environment_id=env, topic_id=uuid.UUID(batch.topic_id),
            after=int(batch.after) if batch.after else None, until=int(batch.until) if batch.until else None,
        )
        members = [m for m in members if m.subscriber_id != actor_id and in_audience(m, ctx.audiences)]
    else:
        members = await subscribers.in_range(session=session, environment_id=env, after=batch.after, until=batch.until)
        members = [m for m in members if m.subscriber_id != actor_id]
    fields = {
        "environment_id": env,
        "transaction_id": ctx.transaction_id,
        "workflow_id": uuid.UUID(ctx.workflow.id),
        "workflow_identifier": ctx.workflow.identifier,
        "channels": list(dict.fromkeys(s.type for s in ctx.workflow.steps if s.active)),
        "payload": ctx.payload,
        "tenant": ctx.tenant.identifier if ctx.tenant else None,
        "actor": actor_id,
        "status": "processing",
        "replay_of": ctx.replay_of,
    }
    if ctx.selector is not None:
        selector = Selector.model_validate(ctx.selector)
        members = [m for m in members if selector.matches(m)]
    claimed = await deliveries.claim(session=session, run_key=batch.key, subscribers=members, fields=fields)
    session.info[CLAIMED_NOW] = claimed
    return claimed


class RecipientActivities:
    """Recipient resolution for the trigger workflow."""

    def __init__(self, *, sessions: Sessions) -> None:
        self._sessions = sessions

    @activity.defn
    async def resolve_recipients(self, inp: ResolveInput) -> ResolveResult:
        """Upsert inline subscribers, actor and tenant; cut inline lists and topics into batches."""
        ctx = inp.context
        env = uuid.UUID(ctx.environment_id)
        size = max(inp.batch_size, 1)
        batches: list[Batch] = []
        missing: list[str] = []
        async with self._sessions() as session, session.begin():
            await upsert_parties(session, ctx)
            if inp.subscribers:
                profiles = {s.subscriber_id: s.profile() for s in inp.subscribers}
                await subscribers.upsert_many(session=session, environment_id=env, profiles=profiles)
                # Already stored: the batches carry ids only, to keep the workflow history small.
                ids = [SubscriberInput(subscriber_id=sid) for sid in profiles]
                batches += [Batch(kind="inline", subscribers=chunk) for chunk in _chunks(ids, size)]
            found = await topics.get_by_keys(session=session, environment_id=env, keys=inp.topic_keys)
            missing = [key for key in inp.topic_keys if key not in found]
            for topic in found.values():
                bounds = await topics.member_boundaries(
                    session=session, environment_id=env, topic_id=topic.id, size=size
                )
                batches += [
                    Batch(kind="topic", topic_id=str(topic.id), after=str(lo) if lo else None, until=str(hi))
                    for lo, hi in pairwise([0, *bounds])
                ]
            if inp.everyone:
                edges = await subscribers.id_boundaries(session=session, environment_id=env, size=size)
                batches += [
                    Batch(kind="everyone", after=lo, until=hi) for lo, hi in pairwise([None, *edges])
                ]
        await lifecycle.start_committed(session, ctx.environment_id)  # subscriber.created of inline subscribers
        return ResolveResult(batches=batches, missing_topics=missing)
