"""Who gets notified: subscribers, topics of subscribers, tenants and preferences."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, JsonType, new_id, utcnow


class Subscriber(Base):
    __tablename__ = "subscribers"
    __table_args__ = (UniqueConstraint("environment_id", "subscriber_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    environment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    subscriber_id: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(64))
    avatar: Mapped[str | None] = mapped_column(String(2048))
    locale: Mapped[str | None] = mapped_column(String(32))
    timezone: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Channel credentials: [{"providerId", "integrationIdentifier", "credentials": {...}}]
    channels: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    # Audiences this subscriber belongs to (Clarion extension, event-apis.md §1.4); None means none.
    audiences: Mapped[list[str] | None] = mapped_column(JsonType)
    is_online: Mapped[bool] = mapped_column(default=False)
    last_online_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Topic(Base):
    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("environment_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    environment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)  # the Qala topic's description
    event_types: Mapped[list[str]] = mapped_column(JsonType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TopicSubscriber(Base):
    __tablename__ = "topic_subscribers"
    __table_args__ = (
        UniqueConstraint("topic_id", "subscriber_pk"),
        # Topic expansion pages through members in id order.
        Index("ix_topic_subscribers_topic_page", "topic_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    environment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    topic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    subscriber_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Tenant(Base):
    __tablename__ = "tenants"
    __table_args__ = (UniqueConstraint("environment_id", "identifier"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    environment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    identifier: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SubscriberPreference(Base):
    """A subscriber's switches: ``workflow_id`` None is the global row."""

    __tablename__ = "subscriber_preferences"
    __table_args__ = (UniqueConstraint("subscriber_pk", "workflow_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    environment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    subscriber_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    workflow_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notification_workflows.id", ondelete="CASCADE"))
    enabled: Mapped[bool] = mapped_column(default=True)
    channels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The global row's delivery schedule as the Inbox edits it ({isEnabled, weeklySchedule}); stored, not enforced.
    schedule: Mapped[dict[str, Any] | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
