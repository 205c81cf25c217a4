"""Clarion's own lifecycle events: the types an environment's webhook endpoints can subscribe to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

MESSAGE_EVENTS = (
    "message.sent", "message.delivered", "message.failed", "message.bounced", "message.complained",
    "message.undelivered", "message.opened", "message.clicked", "message.read", "message.seen",
    "message.archived",
)
EVENT_TYPES: tuple[str, ...] = (
    *MESSAGE_EVENTS, "workflow.run.completed", "workflow.run.failed", "subscriber.created", "preference.updated",
)
# The types Clarion emits today; the others are accepted in filters and listed as not yet emitted.
EMITTED = frozenset({
    "message.sent", "message.failed", "message.delivered", "message.bounced", "message.complained",
    "message.undelivered", "message.opened", "message.clicked",
})


def message_event_id(message_id: str, status: str) -> str:
    """The idempotency key of one status change of one message: its lifecycle event id."""
    return f"msg:{message_id}:{status}"


def message_data(message: Any, *, status: str, occurred_at: datetime, **extra: Any) -> dict[str, Any]:
    """The ``data`` of a ``message.*`` event, from a stored message (any object with its columns)."""
    return {
        "messageId": str(message.id), "transactionId": message.transaction_id,
        "subscriberId": message.subscriber_id, "stepId": message.step_id, "channel": message.channel,
        "workflowId": str(message.workflow_id) if message.workflow_id else None, "providerId": message.provider_id,
        "providerMessageId": message.provider_message_id, "status": status,
        "occurredAt": occurred_at.isoformat().replace("+00:00", "Z"), **extra,
    }
