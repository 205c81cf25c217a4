"""What providers told Clarion after a send, and the shared send-rate buckets of integrations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, JsonType, new_id, utcnow


class ProviderEvent(Base):
    """One inbound provider event (or a refused request): applied, duplicate, unknown message, refused.

    ``(integration_id, provider_event_id)`` is unique, so a provider's redelivery of the same event
    is recognised and applied once.
    """

    __tablename__ = "provider_events"
    __table_args__ = (
        UniqueConstraint("integration_id", "provider_event_id"),
        Index("ix_provider_events_env_created", "environment_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    environment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    integration_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("integrations.id", ondelete="SET NULL"))
    provider_id: Mapped[str | None] = mapped_column(String(100))
    provider_event_id: Mapped[str | None] = mapped_column(String(255))
    provider_message_id: Mapped[str | None] = mapped_column(String(512))
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    event: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime | None]
    raw: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SendRateBucket(Base):
    """The send slots of one rate-limited integration, shared by every worker (times are epoch seconds)."""

    __tablename__ = "send_rate_buckets"

    integration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    # The start times of the latest sends (at most maxPerSecond of them), oldest first; future ones are
    # reservations of senders waiting for their turn.
    slots: Mapped[list[float]] = mapped_column(JsonType, default=list)
    # A provider's 429 with Retry-After pauses the bucket until then.
    paused_until: Mapped[float] = mapped_column(Float, default=0.0)
