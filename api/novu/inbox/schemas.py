"""Novu's Inbox DTOs (``@novu/js`` 3.19): the session, ``InboxNotification`` and the socket's stored-message shape.

Absent optional fields are omitted, never sent as ``null`` (the Novu-dialect null policy), except
where Novu's own type says ``string | null`` (``readAt``, ``firstSeenAt``, ``archivedAt``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.novu.views.subscribers import stamp
from store.models import Message, NotificationWorkflow, Subscriber

Severity = Literal["high", "medium", "low", "none"]
SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low", "none")
MAX_SNOOZE_DURATION_HOURS = 24 * 90


class _Dto(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class SessionSubscriber(_Dto):
    subscriber_id: str = Field(alias="subscriberId", min_length=1, max_length=255)
    first_name: str | None = Field(default=None, alias="firstName", max_length=255)
    last_name: str | None = Field(default=None, alias="lastName", max_length=255)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    avatar: str | None = Field(default=None, max_length=2048)
    locale: str | None = Field(default=None, max_length=32)
    timezone: str | None = Field(default=None, max_length=64)
    data: dict[str, Any] | None = None

    def profile(self) -> dict[str, Any]:
        """The store's column names for the fields the client sent."""
        sent = self.model_dump(exclude={"subscriber_id"}, exclude_none=True)
        return sent


class SessionRequest(_Dto):
    """``POST /v1/inbox/session``: ``subscriber`` (current clients) or ``subscriberId`` (older ones)."""

    application_identifier: str = Field(alias="applicationIdentifier", min_length=1, max_length=128)
    subscriber_id: str | None = Field(default=None, alias="subscriberId", min_length=1, max_length=255)
    subscriber: SessionSubscriber | str | None = None
    subscriber_hash: str | None = Field(default=None, alias="subscriberHash", max_length=256)
    context_hash: str | None = Field(default=None, alias="contextHash", max_length=256)
    # Clarion keeps no message contexts: the context is accepted so Novu's clients validate, and ignored.
    context: dict[str, Any] | None = None
    default_schedule: dict[str, Any] | None = Field(default=None, alias="defaultSchedule")


class UnreadCountDto(_Dto):
    total: int
    severity: dict[str, int]


class SessionDto(_Dto):
    token: str
    total_unread_count: int = Field(alias="totalUnreadCount")
    unread_count: UnreadCountDto = Field(alias="unreadCount")
    remove_novu_branding: bool = Field(alias="removeNovuBranding")
    max_snooze_duration_hours: int = Field(alias="maxSnoozeDurationHours")
    is_development_mode: bool = Field(alias="isDevelopmentMode")
    application_identifier: str | None = Field(default=None, alias="applicationIdentifier")


class SessionEnvelope(_Dto):
    data: SessionDto


class RedirectDto(_Dto):
    url: str
    target: Literal["_self", "_blank", "_parent", "_top", "_unfencedTop"] | None = None


class ActionDto(_Dto):
    label: str
    is_completed: bool = Field(alias="isCompleted")
    redirect: RedirectDto | None = None


class SubscriberDto(_Dto):
    id: str
    subscriber_id: str = Field(alias="subscriberId")
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    avatar: str | None = None


class WorkflowDto(_Dto):
    id: str
    identifier: str
    name: str
    critical: bool
    tags: list[str] | None = None
    severity: Severity


class NotificationDto(_Dto):
    """Novu's ``InboxNotificationDto``."""

    id: str
    transaction_id: str = Field(alias="transactionId")
    subject: str | None = None
    body: str
    to: SubscriberDto
    is_read: bool = Field(alias="isRead")
    is_seen: bool = Field(alias="isSeen")
    is_archived: bool = Field(alias="isArchived")
    is_snoozed: bool = Field(alias="isSnoozed")
    snoozed_until: str | None = Field(default=None, alias="snoozedUntil")
    created_at: str = Field(alias="createdAt")
    read_at: str | None = Field(alias="readAt")
    first_seen_at: str | None = Field(alias="firstSeenAt")
    archived_at: str | None = Field(alias="archivedAt")
    avatar: str | None = None
    primary_action: ActionDto | None = Field(default=None, alias="primaryAction")
    secondary_action: ActionDto | None = Field(default=None, alias="secondaryAction")
    channel_type: Literal["in_app"] = Field(default="in_app", alias="channelType")
    tags: list[str] | None = None
    data: dict[str, Any] | None = None
    redirect: RedirectDto | None = None
    workflow: WorkflowDto | None = None
    severity: Severity


class NotificationEnvelope(_Dto):
    data: NotificationDto


class NotificationsPage(_Dto):
    data: list[NotificationDto]
    has_more: bool = Field(alias="hasMore")
    filter: dict[str, Any]


class CountDto(_Dto):
    count: int
    filter: dict[str, Any]


class CountsPage(_Dto):
    data: list[CountDto]


class SnoozeBody(_Dto):
    snooze_until: str = Field(alias="snoozeUntil", description="ISO 8601 time, at most maxSnoozeDurationHours ahead")


class ActionTypeBody(_Dto):
    action_type: Literal["primary", "secondary"] = Field(alias="actionType")


def _redirect(url: Any, target: Any) -> RedirectDto | None:
    if not isinstance(url, str) or not url:
        return None
    allowed = ("_self", "_blank", "_parent", "_top", "_unfencedTop")
    return RedirectDto(url=url, target=target if target in allowed else None)


def _action(cta: dict[str, Any], kind: str) -> ActionDto | None:
    action = cta.get("action") or {}
    button = next((b for b in action.get("buttons") or [] if isinstance(b, dict) and b.get("type") == kind), None)
    if button is None:
        return None
    result = action.get("result") or {}
    return ActionDto(
        label=str(button.get("content", "")),
        is_completed=result.get("type") == kind and action.get("status") == "done",
        redirect=_redirect(button.get("url"), button.get("target")),
    )


def severity_of(workflow: NotificationWorkflow | None) -> Severity:
    value = workflow.severity if workflow is not None else "none"
    return value if value in SEVERITIES else "none"


def notification_dto(
    m: Message, *, subscriber: Subscriber, workflow: NotificationWorkflow | None, snoozed: bool
) -> NotificationDto:
    cta = m.cta or {}
    data = cta.get("data") or {}
    return NotificationDto(
        id=str(m.id),
        transaction_id=m.transaction_id,
        subject=m.subject,
        body=m.content,
        to=SubscriberDto(
            id=str(subscriber.id), subscriber_id=subscriber.subscriber_id, first_name=subscriber.first_name,
            last_name=subscriber.last_name, avatar=subscriber.avatar,
        ),
        is_read=m.read,
        is_seen=m.seen,
        is_archived=m.archived,
        is_snoozed=snoozed,
        snoozed_until=stamp(m.snoozed_until) if snoozed and m.snoozed_until else None,
        created_at=stamp(m.created_at),
        read_at=stamp(m.read_at) if m.read_at else None,
        first_seen_at=stamp(m.seen_at) if m.seen_at else None,
        archived_at=stamp(m.archived_at) if m.archived_at else None,
        avatar=m.avatar,
        primary_action=_action(cta, "primary"),
        secondary_action=_action(cta, "secondary"),
        tags=list(m.tags or []),
        data=m.payload or {},
        redirect=_redirect(data.get("url"), data.get("target")),
        workflow=WorkflowDto(
            id=str(workflow.id), identifier=workflow.identifier, name=workflow.name, critical=workflow.critical,
            tags=list(workflow.tags or []), severity=severity_of(workflow),
        ) if workflow else None,
        severity=severity_of(workflow),
    )  # fmt: skip


def socket_message(m: Message, *, subscriber: Subscriber, workflow: NotificationWorkflow | None) -> dict[str, Any]:
    """The stored-message shape ``notification_received`` carries, which the client maps to a notification."""
    body: dict[str, Any] = {
        "_id": str(m.id), "_templateId": str(m.workflow_id or ""), "_environmentId": str(m.environment_id),
        "_notificationId": str(m.notification_id), "_subscriberId": str(subscriber.id),
        "transactionId": m.transaction_id, "channel": "in_app", "content": m.content, "subject": m.subject,
        "read": m.read, "seen": m.seen, "archived": m.archived, "cta": m.cta or {}, "tags": list(m.tags or []),
        "data": m.payload or {}, "payload": m.payload or {}, "status": m.status, "createdAt": stamp(m.created_at),
        "lastReadDate": stamp(m.read_at) if m.read_at else None,
        "firstSeenDate": stamp(m.seen_at) if m.seen_at else None,
        "archivedAt": stamp(m.archived_at) if m.archived_at else None,
        "subscriber": {"_id": str(subscriber.id), "subscriberId": subscriber.subscriber_id,
                       **{k: v for k, v in (("firstName", subscriber.first_name), ("lastName", subscriber.last_name),
                                            ("avatar", subscriber.avatar), ("email", subscriber.email),
                                            ("phone", subscriber.phone), ("locale", subscriber.locale),
                                            ("timezone", subscriber.timezone)) if v is not None}},
        "severity": severity_of(workflow),
    }  # fmt: skip
    if m.avatar:
        body["avatar"] = m.avatar
    if workflow is not None:
        body["workflow"] = {"id": str(workflow.id), "identifier": workflow.identifier, "name": workflow.name,
                            "critical": workflow.critical, "tags": list(workflow.tags or []),
                            "severity": severity_of(workflow)}  # fmt: skip
    return body
