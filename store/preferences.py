"""Queries over subscribers' preference rows (global and per workflow)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.bulk import insert_many_ignoring_conflicts
from store.models import NotificationWorkflow, SubscriberPreference

PreferencePair = tuple[SubscriberPreference | None, SubscriberPreference | None]


async def for_subscribers(
    *, session: AsyncSession, environment_id: uuid.UUID, subscriber_pks: Sequence[uuid.UUID], workflow_id: uuid.UUID
) -> dict[uuid.UUID, PreferencePair]:
    """Each subscriber's (global, this workflow's) preference rows, ``None`` where absent."""
    if not subscriber_pks:
        return {}
    rows = await session.scalars(
        select(SubscriberPreference).where(
            SubscriberPreference.environment_id == environment_id,
            SubscriberPreference.subscriber_pk.in_(subscriber_pks),
            or_(SubscriberPreference.workflow_id.is_(None), SubscriberPreference.workflow_id == workflow_id),
        )
    )
    found: dict[uuid.UUID, PreferencePair] = {}
    for row in rows:
        global_row, workflow_row = found.get(row.subscriber_pk, (None, None))
        if row.workflow_id is None:
            global_row = row
        else:
            workflow_row = row
        found[row.subscriber_pk] = (global_row, workflow_row)
    return found


# The channels a subscriber can switch, as Novu names them (webhook steps are not the subscriber's to mute).
PREFERENCE_CHANNELS = ("in_app", "email", "sms", "chat", "push")


@dataclass(frozen=True)
class Resolved:
    """A subscriber's effective switches for one workflow, and where each channel's value came from."""

    enabled: bool
    channels: dict[str, bool]
    # channel -> "subscriber" (one of their rows decided) or "template" (the workflow default did)
    sources: dict[str, str]


def locked(workflow: NotificationWorkflow) -> bool:
    """Critical and read-only workflows follow their own defaults; the subscriber's rows are ignored."""
    return workflow.critical or bool(((workflow.preferences or {}).get("all") or {}).get("readOnly"))


def _said(row: SubscriberPreference | None, channel: str) -> bool | None:
    if row is None:
        return None
    if not row.enabled:
        return False
    value = row.channels.get(channel)
    return value if isinstance(value, bool) else None


def _default(preferences: Mapping[str, Any], channel: str) -> bool:
    if (preferences.get("all") or {}).get("enabled") is False:
        return False
    return ((preferences.get("channels") or {}).get(channel) or {}).get("enabled", True) is not False


def resolve(
    workflow: NotificationWorkflow,
    *,
    global_row: SubscriberPreference | None,
    workflow_row: SubscriberPreference | None,
    channels: Sequence[str] = PREFERENCE_CHANNELS,
) -> Resolved:
    """What the send-time rule (``activities.preferences.channel_allowed``) decides, channel by channel.

    The most specific switch wins: the per-workflow row, then the global row, then the workflow
    default; locked workflows use only their defaults. ``enabled`` is the workflow-level switch.
    """
    defaults = workflow.preferences or {}
    default_enabled = (defaults.get("all") or {}).get("enabled") is not False
    values: dict[str, bool] = {}
    sources: dict[str, str] = {}
    for channel in channels:
        said = None if locked(workflow) else _said(workflow_row, channel)
        if said is None and not locked(workflow):
            said = _said(global_row, channel)
        values[channel] = _default(defaults, channel) if said is None else said
        sources[channel] = "template" if said is None else "subscriber"
    if locked(workflow) or workflow_row is None:
        return Resolved(default_enabled, values, sources)
    return Resolved(workflow_row.enabled, values, sources)


def resolve_global(row: SubscriberPreference | None) -> tuple[bool, dict[str, bool]]:
    """The global switches as stored; a channel never switched is on."""
    if row is None:
        return True, dict.fromkeys(PREFERENCE_CHANNELS, True)
    stored = row.channels or {}
    return row.enabled, {c: stored[c] if isinstance(stored.get(c), bool) else True for c in PREFERENCE_CHANNELS}


def step_channels(workflow: NotificationWorkflow) -> list[str]:
    """The switchable channels the workflow's steps use, in Novu's channel order."""
    used = {str(step.get("type")) for step in workflow.steps or []}
    return [channel for channel in PREFERENCE_CHANNELS if channel in used]


async def listed_workflows(*, session: AsyncSession, environment_id: uuid.UUID) -> list[NotificationWorkflow]:
    """The active workflows a subscriber has preferences for, oldest first (as Novu lists them)."""
    rows = await session.scalars(
        select(NotificationWorkflow)
        .where(NotificationWorkflow.environment_id == environment_id, NotificationWorkflow.active.is_(True))
        .order_by(NotificationWorkflow.created_at, NotificationWorkflow.id)
    )
    return list(rows)


async def for_subscriber(
    *, session: AsyncSession, environment_id: uuid.UUID, subscriber_pk: uuid.UUID
) -> tuple[SubscriberPreference | None, dict[uuid.UUID, SubscriberPreference]]:
    """One subscriber's global row and per-workflow rows (by workflow id)."""
    rows = await session.scalars(
        select(SubscriberPreference)
        .where(
            SubscriberPreference.environment_id == environment_id, SubscriberPreference.subscriber_pk == subscriber_pk
        )
        .order_by(SubscriberPreference.id)
    )
    global_row: SubscriberPreference | None = None
    per_workflow: dict[uuid.UUID, SubscriberPreference] = {}
    for row in rows:
        if row.workflow_id is None:
            global_row = global_row or row
        else:
            per_workflow[row.workflow_id] = row
    return global_row, per_workflow


async def upsert(
    *,
    session: AsyncSession,
    environment_id: uuid.UUID,
    subscriber_pk: uuid.UUID,
    workflow_id: uuid.UUID | None,
    enabled: bool | None = None,
    channels: Mapping[str, bool] | None = None,
) -> SubscriberPreference:
    """Change one preference row (``workflow_id`` None: the global one), creating it switched on."""
    where = [
        SubscriberPreference.environment_id == environment_id,
        SubscriberPreference.subscriber_pk == subscriber_pk,
        SubscriberPreference.workflow_id.is_(None) if workflow_id is None
        else SubscriberPreference.workflow_id == workflow_id,
    ]
    query = select(SubscriberPreference).where(*where).order_by(SubscriberPreference.id)
    found = list(await session.scalars(query))
    if not found:
        fresh: dict[str, Any] = {"id": uuid.uuid4(), "environment_id": environment_id, "subscriber_pk": subscriber_pk,
               "workflow_id": workflow_id, "enabled": True, "channels": {}, "updated_at": utcnow()}
        # A concurrent first write of the same workflow row loses to the unique constraint, not with an error.
        await insert_many_ignoring_conflicts(session=session, model=SubscriberPreference, rows=[fresh])
        found = list(await session.scalars(query))
    kept, *extra = found
    # NULL never conflicts, so two racing first writes can leave two global rows: fold them into one.
    for duplicate in extra:
        await session.delete(duplicate)
    if enabled is not None:
        kept.enabled = enabled
    if channels:
        kept.channels = {**(kept.channels or {}), **channels}  # a new dict, so the JSON column is marked dirty
    kept.updated_at = utcnow()
    await session.flush()
    return kept
