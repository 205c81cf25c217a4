"""Clarion's own lifecycle events: the types an environment's webhook endpoints can subscribe to."""

from __future__ import annotations

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
    "message.delivered", "message.bounced", "message.complained", "message.undelivered", "message.opened",
    "message.clicked",
})


def message_event_id(message_id: str, status: str) -> str:
    """The idempotency key of one status change of one message: its lifecycle event id."""
    return f"msg:{message_id}:{status}"
