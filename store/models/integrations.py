"""Configured provider instances: which provider delivers a channel, with whose credentials."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, new_id, utcnow


class Integration(Base):
    """One provider configuration of an environment; ``credentials`` is Fernet ciphertext, never JSON."""

    __tablename__ = "integrations"
    __table_args__ = (
        UniqueConstraint("environment_id", "identifier"),
        # Dispatch reads an environment's active integrations of one channel, primary first.
        Index("ix_integrations_environment_channel", "environment_id", "channel"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    environment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    identifier: Mapped[str] = mapped_column(String(255))
    provider_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    credentials: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    primary: Mapped[bool] = mapped_column(default=False)
    # Send-rate limit shared by every worker (None: unlimited); ``burst`` defaults to one second's worth.
    max_per_second: Mapped[float | None] = mapped_column(Float)
    burst: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
