"""Whether a subscriber wants a workflow's step on a channel, decided at send time."""

from __future__ import annotations

from activities.models import WorkflowSnapshot
from store.models import SubscriberPreference
from store.preferences import decide


def channel_allowed(
    channel: str,
    *,
    workflow: WorkflowSnapshot,
    global_row: SubscriberPreference | None,
    workflow_row: SubscriberPreference | None,
) -> tuple[bool, str]:
    """Apply the store's preference rule to the workflow as it was when the event was triggered."""
    return decide(
        channel, critical=workflow.critical, defaults=workflow.preferences, global_row=global_row,
        workflow_row=workflow_row,
    )
