"""The evidence a decision leaves in its execution detail (``raw``), so an explanation can say why.

The send path decides and writes the words; these helpers add the facts behind them (which rule of
the preference order decided, when the subscriber flipped that switch) without changing the words.
"""

from __future__ import annotations

from typing import Any

from core.payloads import WorkflowSnapshot
from core.preferences import is_locked
from store.models import SubscriberPreference


def preference_rule(why: str, workflow: WorkflowSnapshot) -> str:
    """The rule of the preference order that decided, named for operators."""
    if why.startswith("critical workflow"):
        return "critical" if workflow.critical else "read-only"
    return {
        "subscriber workflow preference": "subscriber workflow switch",
        "subscriber global preference": "subscriber global switch",
        "tenant default": "tenant default",
        "workflow default": "workflow default",
    }.get(why, "tenant workflow switch" if why.startswith("workflow deactivated for tenant") else why)


def preference_evidence(
    why: str, *, channel: str, workflow: WorkflowSnapshot, global_row: SubscriberPreference | None,
    workflow_row: SubscriberPreference | None,
) -> dict[str, Any]:
    rule = preference_rule(why, workflow)
    row = {"subscriber workflow switch": workflow_row, "subscriber global switch": global_row}.get(rule)
    return {
        "decision": "preference", "rule": rule, "channel": channel, "workflow": workflow.identifier,
        "locked": is_locked(workflow.critical, workflow.preferences),
        "switchedAt": row.updated_at.isoformat() if row is not None and row.updated_at else None,
    }
