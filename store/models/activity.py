"""What happened: one notification per (trigger, subscriber), its jobs, details and messages."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, JsonType, new_id, utcnow


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("environment_id", "transaction_id", "subscriber_id"),
        Index("ix_notifications_env_created", "environment_id", "created_at"),
        Index("ix_notifications_created", "created_at"),
        Index("ix_notifications_env_replay_of", "environment_id", "replay_of"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    environment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    transaction_id: Mapped[str] = mapped_column(String(255))
    workflow_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notification_workflows.id", ondelete="SET NULL"))
    workflow_identifier: Mapped[str] = mapped_column(String(255))
    subscriber_pk: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subscribers.id", ondelete="SET NULL"))
    subscriber_id: Mapped[str] = mapped_column(String(255))
    channels: Mapped[list[str]] = mapped_column(JsonType, default=list)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tenant: Mapped[str | None] = mapped_column(String(255))
    actor: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32), default="pending")
    temporal_workflow_id: Mapped[str] = mapped_column(String(512))
    # The transaction this one replays (``POST /v1/events/trigger/{transactionId}/replay``).
    replay_of: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Job(Base):
    """One step of one notification, as Novu's activity feed shows it."""

    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("notification_id", "step_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    environment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    notification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    step_id: Mapped[str] = mapped_column(String(255))
    step_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), default="pending")
    provider_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ExecutionDetail(Base):
    __tablename__ = "execution_details"
    __table_args__ = (Index("ix_execution_details_notification", "notification_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    environment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    notification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    subscriber_id: Mapped[str] = mapped_column(String(255))
    transaction_id: Mapped[str] = mapped_column(String(255))
    step_id: Mapped[str | None] = mapped_column(String(255))
    channel: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32), default="internal")
    provider_id: Mapped[str | None] = mapped_column(String(100))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    raw: Mapped[dict[str, Any] | None]
    # The OpenTelemetry trace this step ran in (tracing on), to find it in Jaeger or Tempo.
    trace_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(Base):
    """One delivery on one channel; ``idempotency_key`` (run, step and subscriber) is unique."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_feed", "environment_id", "subscriber_pk", "channel", "created_at"),
        Index("ix_messages_transaction", "environment_id", "transaction_id"),
        Index("ix_messages_read_at", "read_at"),
        # Provider delivery events find their message by the provider's id.
        Index("ix_messages_provider_message_id", "provider_message_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    environment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(600), unique=True)
    notification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    workflow_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notification_workflows.id", ondelete="SET NULL"))
    subscriber_pk: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    subscriber_id: Mapped[str] = mapped_column(String(255))
    transaction_id: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(32))
    step_id: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text, default="")
    avatar: Mapped[str | None] = mapped_column(String(2048))
    cta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tags: Mapped[list[str]] = mapped_column(JsonType, default=list)
    provider_id: Mapped[str | None] = mapped_column(String(100))
    provider_message_id: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(32), default="sent")
    error_text: Mapped[str | None] = mapped_column(Text)
    seen: Mapped[bool] = mapped_column(default=False)
    read: Mapped[bool] = mapped_column(default=False)
    archived: Mapped[bool] = mapped_column(default=False)
    deleted: Mapped[bool] = mapped_column(default=False)
    seen_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    # Hidden from the inbox until then; past it the message is back (unread) without any write.
    snoozed_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
