"""The real-time bus's outbox for oversized PostgreSQL notices, and the WebSocket client registry."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, JsonType, new_id, utcnow


class RealtimeOutbox(Base):
    """An event too large for a NOTIFY payload; the notice carries only this row's id (kept 5 min)."""

    __tablename__ = "realtime_outbox"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class WsClient(Base):
    """One open socket on one API node, refreshed by its node; a row not refreshed for 60 s is gone."""

    __tablename__ = "ws_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    node: Mapped[str] = mapped_column(String(64), index=True)
    environment_id: Mapped[uuid.UUID] = mapped_column(index=True)
    owner: Mapped[str] = mapped_column(String(300))
    username: Mapped[str] = mapped_column(String(300), default="")
    subscriptions: Mapped[list[str]] = mapped_column(JsonType, default=list)
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_ping_at: Mapped[datetime | None]
    last_pong_at: Mapped[datetime | None]
    queue_depth: Mapped[int] = mapped_column(default=0)
    dropped: Mapped[int] = mapped_column(default=0)
    messages_sent: Mapped[int] = mapped_column(default=0)
    node_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
