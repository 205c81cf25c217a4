"""Notification workflow definitions: the trigger identifier and its ordered steps."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, JsonType, new_id, utcnow


class NotificationWorkflow(Base):
    __tablename__ = "notification_workflows"
    __table_args__ = (UniqueConstraint("environment_id", "identifier"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    environment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    identifier: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    critical: Mapped[bool] = mapped_column(default=False)
    severity: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    tags: Mapped[list[str]] = mapped_column(JsonType, default=list)
    # {"all": {"enabled", "readOnly"}, "channels": {"email": {"enabled"}, ...}}: Novu's v2 shape.
    preferences: Mapped[dict[str, Any]] = mapped_column(default=dict)
    payload_schema: Mapped[dict[str, Any] | None]
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    origin: Mapped[str] = mapped_column(String(32), default="external")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
