"""Clarion's own lifecycle events: the types an environment's webhook endpoints can subscribe to.

Each event has a deterministic id naming the object and the change, so the same change emitted
twice (a retried activity, a repeated request, two racing writers) is recorded and sent once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

MESSAGE_EVENTS = (
    "message.sent", "message.delivered", "message.failed", "message.bounced", "message.complained",
    "message.undelivered", "message.opened", "message.clicked", "message.read", "message.seen",
    "message.archived",
)
EVENT_TYPES: tuple[str, ...] = (
    *MESSAGE_EVENTS, "workflow.run.completed", "workflow.run.failed", "subscriber.created", "preference.updated",
)
EMITTED = frozenset(EVENT_TYPES)
_MESSAGE = ("messageId, transactionId, subscriberId, stepId, channel, workflowId, providerId, providerMessageId, "
            "status, occurredAt")
# The fields of each type's ``data`` (``GET /v1/webhooks/event-types`` lists them; README has the rules).
PAYLOAD_FIELDS: dict[str, str] = {
    **dict.fromkeys(MESSAGE_EVENTS, _MESSAGE),
    "message.failed": _MESSAGE + ", error",
    **{f"message.{e}": _MESSAGE + ", bounceType, reason, url"  # as the provider reported them
       for e in ("delivered", "bounced", "complained", "undelivered", "opened", "clicked")},
    "workflow.run.completed": "transactionId, workflowIdentifier, recipients",
    "workflow.run.failed": "transactionId, workflowIdentifier, recipients, error",
    "subscriber.created": "subscriberId, _id, email, firstName, lastName, phone, locale, timezone, data, occurredAt",
    "preference.updated": "subscriberId, workflowId (null: the global preference), enabled, channels, "
                          "previous {enabled, channels}, occurredAt",
}
# The inbox flags whose turning on is an event (``message.read`` ...).
INBOX_FLAGS = ("read", "seen", "archived")


def stamp(at: datetime) -> str:
    """``at`` as UTC ISO 8601 with a ``Z``; a naive time (SQLite hands those back) is taken as UTC."""
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.isoformat().replace("+00:00", "Z")


def message_event_id(message_id: str, status: str) -> str:
    """The idempotency key of one status change of one message: its lifecycle event id."""
    return f"msg:{message_id}:{status}"


def flag_event_id(message_id: str, flag: str, since: datetime) -> str:
    """One turning on of an inbox flag: ``since`` is the flag's time, kept while it stays on and
    cleared when it goes off, so marking a read message read again names the same event, and
    reading it again after marking it unread names a new one."""
    return f"msg:{message_id}:{flag}:{stamp(since)}"


def run_event_id(transaction_id: str, outcome: str) -> str:
    return f"run:{transaction_id}:{outcome}"


def subscriber_event_id(subscriber_pk: str) -> str:
    """A subscriber's creation; a deleted and re-created subscriberId is a new row, so a new event."""
    return f"sub:{subscriber_pk}:created"


def preference_event_id(preference_pk: str, updated_at: datetime) -> str:
    """One write that changed a preference row (its ``enabled`` or ``channels``)."""
    return f"pref:{preference_pk}:{stamp(updated_at)}"


def message_data(message: Any, *, status: str, occurred_at: datetime, **extra: Any) -> dict[str, Any]:
    """The ``data`` of a ``message.*`` event, from a stored message (any object with its columns)."""
    return {
        "messageId": str(message.id), "transactionId": message.transaction_id,
        "subscriberId": message.subscriber_id, "stepId": message.step_id, "channel": message.channel,
        "workflowId": str(message.workflow_id) if message.workflow_id else None, "providerId": message.provider_id,
        "providerMessageId": message.provider_message_id, "status": status,
        "occurredAt": stamp(occurred_at), **extra,
    }


def subscriber_data(subscriber: Any) -> dict[str, Any]:
    """The ``data`` of ``subscriber.created``: the profile as it was stored (no channel credentials)."""
    return {
        "subscriberId": subscriber.subscriber_id, "_id": str(subscriber.id), "email": subscriber.email,
        "firstName": subscriber.first_name, "lastName": subscriber.last_name, "phone": subscriber.phone,
        "locale": subscriber.locale, "timezone": subscriber.timezone, "data": subscriber.data or {},
        "occurredAt": stamp(subscriber.created_at),
    }


def preference_data(*, subscriber_id: str, workflow_id: str | None, enabled: bool, channels: dict[str, Any],
                    previous: dict[str, Any], updated_at: datetime) -> dict[str, Any]:
    """The ``data`` of ``preference.updated``: the row after the write, and what it was before."""
    return {"subscriberId": subscriber_id, "workflowId": workflow_id, "enabled": enabled, "channels": channels,
            "previous": previous, "occurredAt": stamp(updated_at)}
