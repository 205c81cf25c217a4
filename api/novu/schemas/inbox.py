"""Novu's in-app DTOs (FeedItem, Message, InboxNotification) and the one mapping of a stored message onto each.

novu-py parses ``channel`` and ``status`` as closed enums, so Clarion-only values go through the
tables below; ``clarionChannel`` is additive and the SDKs ignore it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import ConfigDict, Field

from api.novu.schemas.activity import novu_provider
from api.novu.schemas.base import NovuResponse
from store.base import utcnow
from store.models import Message, NotificationWorkflow, Subscriber

T = TypeVar("T")
NovuChannel = Literal["in_app", "email", "sms", "chat", "push"]
MessageStatus = Literal["sent", "error", "warning"]
ButtonType = Literal["primary", "secondary"]
Severity = Literal["high", "medium", "low", "none"]

# A webhook step posts to a URL, as Novu's chat providers do; Novu has no channel of its own for it.
NOVU_CHANNELS: dict[str, NovuChannel] = {"in_app": "in_app", "email": "email", "sms": "sms", "chat": "chat",
                                         "push": "push", "webhook": "chat"}  # fmt: skip
# A message still "transmitting" has no confirmed outcome yet, which Novu's enum can only call a warning.
_STATUSES: dict[str, MessageStatus] = {"sent": "sent", "error": "error", "warning": "warning"}


def stored_channels(channel: str) -> list[str]:
    """The stored channels a Novu channel filter stands for (``chat`` includes webhooks)."""
    return [stored for stored, novu in NOVU_CHANNELS.items() if novu == channel] or [channel]


class _Dto(NovuResponse):
    model_config = ConfigDict(populate_by_name=True)


class Envelope(_Dto, Generic[T]):
    data: T


class FeedSubscriberDto(_Dto):
    id: str = Field(alias="_id")
    subscriber_id: str = Field(alias="subscriberId")
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    avatar: str | None = None


class MessageDto(_Dto):
    """Both novu-py's ``NotificationFeedItemDto`` (the feed) and its ``MessageResponseDto`` (everything else)."""

    id: str = Field(alias="_id")
    template_id: str = Field(alias="_templateId", description="the workflow's id; empty once it is deleted")
    template_identifier: str | None = Field(alias="templateIdentifier")
    environment_id: str = Field(alias="_environmentId")
    organization_id: str = Field(alias="_organizationId")
    notification_id: str = Field(alias="_notificationId")
    subscriber_id: str = Field(alias="_subscriberId", description="the subscriber's internal id")
    job_id: str = Field(alias="_jobId")
    feed_id: str | None = Field(default=None, alias="_feedId")
    transaction_id: str = Field(alias="transactionId")
    channel: NovuChannel
    clarion_channel: str = Field(alias="clarionChannel")
    subject: str | None
    content: str
    avatar: str | None
    cta: dict[str, Any]
    payload: dict[str, Any]
    tags: list[str]
    provider_id: str = Field(alias="providerId")
    status: MessageStatus
    error_text: str | None = Field(alias="errorText")
    seen: bool
    read: bool
    archived: bool
    deleted: bool
    last_seen_date: datetime | None = Field(alias="lastSeenDate")
    last_read_date: datetime | None = Field(alias="lastReadDate")
    archived_at: datetime | None = Field(alias="archivedAt")
    created_at: datetime = Field(alias="createdAt")
    updated_at: datetime = Field(alias="updatedAt")
    # Only the feed carries it: novu-py's MessageResponseDto wants a full subscriber there.
    subscriber: FeedSubscriberDto | None = None


class FeedResponse(_Dto):
    data: list[MessageDto]
    has_more: bool = Field(alias="hasMore")
    page: int
    page_size: int = Field(alias="pageSize")
    total_count: int = Field(alias="totalCount", description="as Novu: the number of messages on this page")


class MessagesResponse(_Dto):
    data: list[MessageDto]
    has_more: bool = Field(alias="hasMore")
    page: int
    page_size: int = Field(alias="pageSize")
    total_count: int = Field(alias="totalCount")


class CountDto(_Dto):
    count: int


class DeletedDto(_Dto):
    acknowledged: bool = True
    status: Literal["deleted"] = "deleted"


def message_dto(
    m: Message, *, organization_id: str, workflow: NotificationWorkflow | None, subscriber: Subscriber | None = None
) -> MessageDto:
    return MessageDto(
        id=str(m.id),
        template_id=str(m.workflow_id) if m.workflow_id else "",
        template_identifier=workflow.identifier if workflow else None,
        environment_id=str(m.environment_id),
        organization_id=organization_id,
        notification_id=str(m.notification_id),
        subscriber_id=str(m.subscriber_pk) if m.subscriber_pk else m.subscriber_id,
        job_id=str(m.job_id) if m.job_id else "",
        transaction_id=m.transaction_id,
        channel=NOVU_CHANNELS.get(m.channel, "chat"),
        clarion_channel=m.channel,
        subject=m.subject,
        content=m.content,
        avatar=m.avatar,
        cta=m.cta or {},
        payload=m.payload or {},
        tags=list(m.tags or []),
        provider_id=novu_provider(m.provider_id),
        status=_STATUSES.get(m.status, "warning"),
        error_text=m.error_text,
        seen=m.seen,
        read=m.read,
        archived=m.archived,
        deleted=m.deleted,
        last_seen_date=m.seen_at,
        last_read_date=m.read_at,
        archived_at=m.archived_at,
        created_at=m.created_at,
        updated_at=m.updated_at,
        subscriber=FeedSubscriberDto(
            id=str(subscriber.id), subscriber_id=subscriber.subscriber_id, first_name=subscriber.first_name,
            last_name=subscriber.last_name, avatar=subscriber.avatar,
        ) if subscriber else None,
    )  # fmt: skip


class InboxSubscriberDto(_Dto):
    id: str
    subscriber_id: str = Field(alias="subscriberId")
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    avatar: str | None = None


class RedirectDto(_Dto):
    url: str
    target: Literal["_self", "_blank", "_parent", "_top", "_unfencedTop"] | None = None


class InboxActionDto(_Dto):
    label: str
    is_completed: bool = Field(alias="isCompleted")
    redirect: RedirectDto | None = None


class InboxWorkflowDto(_Dto):
    id: str
    identifier: str
    name: str
    critical: bool
    severity: Severity = "none"
    tags: list[str]


class InboxNotificationDto(_Dto):
    """novu-py's ``InboxNotificationDto``: an in-app message as Novu's v2 inbox shows it."""

    id: str
    transaction_id: str = Field(alias="transactionId")
    subject: str | None
    body: str
    to: InboxSubscriberDto
    is_read: bool = Field(alias="isRead")
    is_seen: bool = Field(alias="isSeen")
    is_archived: bool = Field(alias="isArchived")
    is_snoozed: bool = Field(default=False, alias="isSnoozed")
    created_at: datetime = Field(alias="createdAt")
    read_at: datetime | None = Field(alias="readAt")
    first_seen_at: datetime | None = Field(alias="firstSeenAt")
    archived_at: datetime | None = Field(alias="archivedAt")
    avatar: str | None
    primary_action: InboxActionDto | None = Field(alias="primaryAction")
    secondary_action: InboxActionDto | None = Field(alias="secondaryAction")
    channel_type: Literal["in_app"] = Field(default="in_app", alias="channelType")
    severity: Severity = Field(default="none", description="the workflow's severity")
    tags: list[str]
    data: dict[str, Any] = Field(description="the trigger payload: Clarion keeps no separate step data")
    redirect: RedirectDto | None
    workflow: InboxWorkflowDto | None


class InboxListResponse(_Dto):
    data: list[InboxNotificationDto]
    has_more: bool = Field(alias="hasMore")
    filter: dict[str, Any]


class CountResultDto(_Dto):
    count: int
    filter: dict[str, Any]


def _action(cta: dict[str, Any], kind: str) -> InboxActionDto | None:
    action = cta.get("action") or {}
    button = next((b for b in action.get("buttons") or [] if b.get("type") == kind), None)
    if button is None:
        return None
    result = action.get("result") or {}
    url = button.get("url")
    return InboxActionDto(
        label=str(button.get("content", "")),
        is_completed=result.get("type") == kind and action.get("status") == "done",
        redirect=RedirectDto(url=url) if url else None,
    )


def inbox_dto(m: Message, *, subscriber: Subscriber, workflow: NotificationWorkflow | None) -> InboxNotificationDto:
    cta = m.cta or {}
    url = (cta.get("data") or {}).get("url")
    return InboxNotificationDto(
        id=str(m.id),
        transaction_id=m.transaction_id,
        subject=m.subject,
        body=m.content,
        to=InboxSubscriberDto(
            id=str(subscriber.id), subscriber_id=subscriber.subscriber_id, first_name=subscriber.first_name,
            last_name=subscriber.last_name, avatar=subscriber.avatar,
        ),
        is_read=m.read,
        is_seen=m.seen,
        is_archived=m.archived,
        is_snoozed=m.snoozed_until is not None and m.snoozed_until > utcnow(),
        created_at=m.created_at,
        read_at=m.read_at,
        first_seen_at=m.seen_at,
        archived_at=m.archived_at,
        avatar=m.avatar,
        primary_action=_action(cta, "primary"),
        secondary_action=_action(cta, "secondary"),
        tags=list(m.tags or []),
        data=m.payload or {},
        redirect=RedirectDto(url=url) if url else None,
        workflow=InboxWorkflowDto(
            id=str(workflow.id), identifier=workflow.identifier, name=workflow.name, critical=workflow.critical,
            tags=list(workflow.tags or []), severity=_severity(workflow),
        ) if workflow else None,
        severity=_severity(workflow),
    )  # fmt: skip


def _severity(workflow: NotificationWorkflow | None) -> Severity:
    value = workflow.severity if workflow is not None else "none"
    return value if value in ("high", "medium", "low") else "none"  # type: ignore[return-value]
