"""Whether a subscriber wants a workflow's step on a channel, decided at send time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from activities.models import WorkflowSnapshot
from store.models import SubscriberPreference


def _switch(row: SubscriberPreference | None, channel: str) -> bool | None:
    """What a preference row says about ``channel``: False, True, or None when it is silent."""
    if row is None:
        return None
    if not row.enabled:
        return False
    value = row.channels.get(channel)
    return value if isinstance(value, bool) else None


def _default(preferences: Mapping[str, Any], channel: str) -> bool:
    all_ = preferences.get("all") or {}
    if all_.get("enabled") is False:
        return False
    channel_default = (preferences.get("channels") or {}).get(channel) or {}
    return channel_default.get("enabled", True) is not False


def channel_allowed(
    channel: str,
    *,
    workflow: WorkflowSnapshot,
    global_row: SubscriberPreference | None,
    workflow_row: SubscriberPreference | None,
) -> tuple[bool, str]:
    """Decide one delivery and say why, for the execution details.

    Critical (read-only) workflows ignore the subscriber's switches and follow their own channel
    defaults. Otherwise the most specific switch wins: the subscriber's per-workflow row, then
    their global row, then the workflow's default.
    """
    if workflow.critical or (workflow.preferences.get("all") or {}).get("readOnly"):
        return _default(workflow.preferences, channel), "critical workflow: subscriber preferences bypassed"
    for source, row in (("workflow preference", workflow_row), ("global preference", global_row)):
        said = _switch(row, channel)
        if said is not None:
            return said, f"subscriber {source}"
    return _default(workflow.preferences, channel), "workflow default"
