"""Short-lived session tokens: one subscriber's (``sst_``) or one subscriber group's (``sgt_``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, new_id, utcnow


class SessionToken(Base):
    """Stored only as a SHA-256 hash; ``kind`` is ``subscriber`` or ``group``."""

    __tablename__ = "session_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    environment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("environments.id", ondelete="CASCADE"), index=True
    )
    subscriber_id: Mapped[str | None] = mapped_column(String(255))
    group_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
