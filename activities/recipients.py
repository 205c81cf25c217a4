"""Who a trigger reaches: upsert inline subscribers, split topics into pages, claim a batch."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from itertools import pairwise
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

from activities import lifecycle
from core.payloads import Batch, ResolveInput, ResolveResult, SubscriberInput, TriggerContext
from core.subscriber_selector import Selector
from store import delivery_ledger as deliveries
from store import subscribers, tenants, topics
from store.delivery_ledger import RunClaim
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
    actors, tenants_by_id = await upsert_parties_of(session, [ctx])
    actor = actors.get(ctx.actor.subscriber_id) if ctx.actor else None
    return actor, (tenants_by_id.get(ctx.tenant.identifier) if ctx.tenant else None)


async def upsert_parties_of(
    session: AsyncSession, contexts: list[TriggerContext]
) -> tuple[dict[str, Subscriber], dict[str, Tenant]]:
    """The actors and tenants of several triggers of one environment, created or updated in a few
    statements. Where two triggers send fields of the same party, the later one's win, field by field,
    as if they had been upserted one after the other."""
    env = uuid.UUID(contexts[0].environment_id)
    profiles = _merged((c.actor.subscriber_id, c.actor.profile()) for c in contexts if c.actor)
    actors = await subscribers.upsert_many(session=session, environment_id=env, profiles=profiles) if profiles else {}
    fields = _merged((c.tenant.identifier, c.tenant.model_dump(include={"name", "data"}, exclude_none=True))
                     for c in contexts if c.tenant)
    found = await tenants.get_many(session=session, environment_id=env, identifiers=[k for k, f in fields.items()
                                                                                    if not f])
    for identifier, changes in fields.items():
        if changes:
            found[identifier] = await tenants.upsert(session=session, environment_id=env, identifier=identifier,
                                                     fields=changes)
    return actors, found


def _merged(pairs: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for key, fields in pairs:
        merged[key] = {**merged.get(key, {}), **fields}
    return merged


async def claim_batch(session: AsyncSession, ctx: TriggerContext, batch: Batch) -> Claimed:
    """The batch's recipients with their notifications, claiming them on the first call."""
    return (await claim_batches(session, [(ctx, batch)]))[0]


async def claim_batches(session: AsyncSession, runs: list[tuple[TriggerContext, Batch]]) -> list[Claimed]:
    """The recipients of several runs of one environment with their notifications, claiming them on the
    first call: a constant number of statements for any number of inline runs.

    Topic and broadcast fan-outs leave the actor out; a subscriber already claimed by another run
    of the same transaction (a member of two topics) is left to that run.
    """
    env = uuid.UUID(runs[0][0].environment_id)
    done = await deliveries.claimed_by_runs(
        session=session, environment_id=env, runs=[(ctx.transaction_id, batch.key) for ctx, batch in runs]
    )
    todo = [(ctx, batch) for ctx, batch in runs if (ctx.transaction_id, batch.key) not in done]
    inline = [(ctx, batch) for ctx, batch in todo if batch.kind == "inline"]
    stored: dict[str, Subscriber] = {}
    if inline:
        await upsert_parties_of(session, [ctx for ctx, _ in inline])
        profiles = _merged((s.subscriber_id, s.profile()) for _, batch in inline for s in batch.subscribers)
        stored = await subscribers.upsert_many(session=session, environment_id=env, profiles=profiles)
    claims: list[RunClaim] = []
    for ctx, batch in todo:
        members = [stored[sid] for sid in dict.fromkeys(s.subscriber_id for s in batch.subscribers)] \
            if batch.kind == "inline" else await _fan_out_members(session, ctx, batch)
        if ctx.selector is not None:
            selector = Selector.model_validate(ctx.selector)
            members = [m for m in members if selector.matches(m)]
        claims.append((batch.key, members, _notification_fields(ctx)))
    claimed = await deliveries.claim_many(session=session, environment_id=env, runs=claims) if claims else {}
    keys = [(ctx.transaction_id, batch.key) for ctx, batch in runs]
    session.info[CLAIMED_NOW] = [pair for run in keys if run not in done for pair in claimed.get(run, [])]
    return [done.get(run) or claimed.get(run, []) for run in keys]


async def _fan_out_members(session: AsyncSession, ctx: TriggerContext, batch: Batch) -> list[Subscriber]:
    env = uuid.UUID(ctx.environment_id)
    actor_id = ctx.actor.subscriber_id if ctx.actor else None
    if batch.kind == "topic":
        assert batch.topic_id is not None
        members = await topics.members_in_range(
            session=session, environment_id=env, topic_id=uuid.UUID(batch.topic_id),
            after=int(batch.after) if batch.after else None, until=int(batch.until) if batch.until else None,
        )
        return [m for m in members if m.subscriber_id != actor_id and in_audience(m, ctx.audiences)]
    members = await subscribers.in_range(session=session, environment_id=env, after=batch.after, until=batch.until)
    return [m for m in members if m.subscriber_id != actor_id]


def _notification_fields(ctx: TriggerContext) -> dict[str, Any]:
    """The columns every notification of one trigger shares."""
    return {
        "environment_id": uuid.UUID(ctx.environment_id),
        "transaction_id": ctx.transaction_id,
        "workflow_id": uuid.UUID(ctx.workflow.id),
        "workflow_identifier": ctx.workflow.identifier,
        "channels": list(dict.fromkeys(s.type for s in ctx.workflow.steps if s.active)),
        "payload": ctx.payload,
        "tenant": ctx.tenant.identifier if ctx.tenant else None,
        "actor": ctx.actor.subscriber_id if ctx.actor else None,
        "status": "processing",
        "replay_of": ctx.replay_of,
    }


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
