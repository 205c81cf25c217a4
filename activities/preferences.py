"""Whether a subscriber wants a workflow's step on a channel, decided at send time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.payloads import WorkflowSnapshot
from core.preferences import decide
from store.models import SubscriberPreference


def channel_allowed(
    channel: str,
    *,
    workflow: WorkflowSnapshot,
    global_row: SubscriberPreference | None,
    workflow_row: SubscriberPreference | None,
    tenant_defaults: Mapping[str, Any] | None = None,
) -> tuple[bool, str]:
    """Apply the store's preference rule to the workflow as it was when the event was triggered.

    ``tenant_defaults`` is the trigger's tenant's override of this workflow's defaults, read at send time.
    """
    return decide(
        channel, critical=workflow.critical, defaults=workflow.preferences, global_row=global_row,
        workflow_row=workflow_row, tenant_defaults=tenant_defaults,
    )
