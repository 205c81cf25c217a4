"""Stream topics and their retained, ordered messages (Workato event streams, event-apis.md §2)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, JsonType, utcnow


class StreamTopic(Base):
    """A retained log; ``last_seq`` is bumped under the row's lock, so ``seq`` order is commit order."""

    __tablename__ = "stream_topics"
    __table_args__ = (UniqueConstraint("environment_id", "name"),)

    # Workato's topic ids are integers unique across the installation.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    environment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("environments.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    retention: Mapped[int] = mapped_column(Integer)
    # Clarion extension: stored messages are also published as this workflow's event type.
    event_type: Mapped[str | None] = mapped_column(String(255))
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_time: Mapped[datetime | None]
    # The highest seq removed by retention or a purge: a cursor below it has lost messages.
    deleted_through_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # The ``activity`` sort key; a purge clears it.
    last_activity_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StreamMessage(Base):
    """One message; ``time`` never decreases along ``seq`` within a topic, so expiry removes a prefix."""

    __tablename__ = "stream_messages"
    __table_args__ = (Index("ix_stream_messages_topic_id_time", "topic_id", "time"),)

    topic_id: Mapped[int] = mapped_column(ForeignKey("stream_topics.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    time: Mapped[datetime]
    payload: Mapped[dict[str, Any]]
