"""The one preference rule: whether a channel of a workflow reaches a subscriber, and who decided.

It is read at send time (``activities.preferences``) and by the preference routes, so what the API
reports is what a send does. Pure: it sees rows and workflows through the protocols below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class PreferenceRow(Protocol):
    """A subscriber's stored switches: global (no workflow) or for one workflow."""

    @property
    def enabled(self) -> bool: ...

    @property
    def channels(self) -> Mapping[str, Any]: ...


class WorkflowDefaults(Protocol):
    """What the rule reads of a stored workflow."""

    @property
    def critical(self) -> bool: ...

    @property
    def preferences(self) -> Mapping[str, Any]: ...

    @property
    def steps(self) -> Sequence[Mapping[str, Any]]: ...


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


def locked(workflow: WorkflowDefaults) -> bool:
    return is_locked(workflow.critical, workflow.preferences or {})


def _said(row: PreferenceRow | None, channel: str) -> bool | None:
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
    global_row: PreferenceRow | None,
    workflow_row: PreferenceRow | None,
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
    workflow: WorkflowDefaults,
    *,
    global_row: PreferenceRow | None,
    workflow_row: PreferenceRow | None,
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


def resolve_global(row: PreferenceRow | None) -> tuple[bool, dict[str, bool]]:
    """The global switches as stored; a channel never switched is on."""
    if row is None:
        return True, dict.fromkeys(PREFERENCE_CHANNELS, True)
    stored = row.channels or {}
    return row.enabled, {c: stored[c] if isinstance(stored.get(c), bool) else True for c in PREFERENCE_CHANNELS}


def step_channels(workflow: WorkflowDefaults) -> list[str]:
    """The switchable channels the workflow's steps use, in Novu's channel order."""
    used = {str(step.get("type")) for step in workflow.steps or []}
    return [channel for channel in PREFERENCE_CHANNELS if channel in used]
