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


def is_locked(critical: bool, defaults: Mapping[str, Any]) -> bool:
    """Critical and read-only workflows follow their own defaults; the subscriber's rows are ignored."""
    return critical or bool((defaults.get("all") or {}).get("readOnly"))


def locked(workflow: NotificationWorkflow) -> bool:
    return is_locked(workflow.critical, workflow.preferences or {})


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


def _tenant_said(overrides: Mapping[str, Any] | None, channel: str) -> bool | None:
    # A tenant overrides only what it names: ``all.enabled: false`` or ``channels.<c>.enabled``.
    if not overrides:
        return None
    if (overrides.get("all") or {}).get("enabled") is False:
        return False
    value = ((overrides.get("channels") or {}).get(channel) or {}).get("enabled")
    return value if isinstance(value, bool) else None


def decide(
    channel: str,
    *,
    critical: bool,
    defaults: Mapping[str, Any],
    global_row: SubscriberPreference | None,
    workflow_row: SubscriberPreference | None,
    tenant_defaults: Mapping[str, Any] | None = None,
) -> tuple[bool, str]:
    """The one preference rule, used at send time and by the preference routes; says who decided.

    Locked (critical or read-only) workflows use their own defaults: neither the subscriber nor the
    tenant can change them. Otherwise the most specific switch wins: the subscriber's per-workflow
    row, then their global row, then the tenant's override of the workflow's defaults (when the
    trigger named a tenant that has one), then the workflow default.
    """
    if is_locked(critical, defaults):
        return _default(defaults, channel), "critical workflow: subscriber preferences bypassed"
    for source, row in (("workflow preference", workflow_row), ("global preference", global_row)):
        said = _said(row, channel)
        if said is not None:
            return said, f"subscriber {source}"
    tenant = _tenant_said(tenant_defaults, channel)
    if tenant is not None:
        return tenant, "tenant default"
    return _default(defaults, channel), "workflow default"


def resolve(
    workflow: NotificationWorkflow,
    *,
    global_row: SubscriberPreference | None,
    workflow_row: SubscriberPreference | None,
    channels: Sequence[str] = PREFERENCE_CHANNELS,
) -> Resolved:
    """``decide`` for every channel of a stored workflow; ``enabled`` is the workflow-level switch."""
    defaults = workflow.preferences or {}
    default_enabled = (defaults.get("all") or {}).get("enabled") is not False
    values: dict[str, bool] = {}
    sources: dict[str, str] = {}
    for channel in channels:
        values[channel], why = decide(
            channel, critical=workflow.critical, defaults=defaults, global_row=global_row, workflow_row=workflow_row
        )
        sources[channel] = "subscriber" if why.startswith("subscriber") else "template"
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
