"""Bookkeeping of action steps that must be exact across concurrent runs: throttle and digest.

Temporal gives each run durable timers, but "at most N per hour" and "which events are in the
pending digest" are facts shared between runs; they live here, guarded by unique constraints so
that a retried activity writes nothing twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, new_id, utcnow


class ActionLock(Base):
    """One row per throttle or digest scope; updating it serialises the runs of that scope."""

    __tablename__ = "action_locks"

    scope: Mapped[str] = mapped_column(String(300), primary_key=True)
    touched_at: Mapped[datetime] = mapped_column(default=utcnow)


class ThrottleClaim(Base):
    """A run's turn at a throttle step: granted or throttled, decided once per (scope, run)."""

    __tablename__ = "throttle_claims"
    __table_args__ = (
        UniqueConstraint("scope", "run_key"),
        Index("ix_throttle_claims_scope_claimed", "scope", "claimed_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    environment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(300))
    run_key: Mapped[str] = mapped_column(String(512))
    granted: Mapped[bool] = mapped_column(default=True)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)


class DigestEntry(Base):
    """An event handed to a digest group (``pending``), sent in it (``sent``), cancelled before
    the digest went out (``cancelled``), or sent on its own by a look-back digest (``direct``)."""

    __tablename__ = "digest_entries"
    __table_args__ = (
        UniqueConstraint("run_key", "step_id", "subscriber_id"),
        Index("ix_digest_entries_transaction", "environment_id", "transaction_id"),
        Index("ix_digest_entries_group_created", "group_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    environment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    transaction_id: Mapped[str] = mapped_column(String(255))
    subscriber_id: Mapped[str] = mapped_column(String(255))
    step_id: Mapped[str] = mapped_column(String(255))
    run_key: Mapped[str] = mapped_column(String(512))
    group_id: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    # The digest run that sent it, so that a retried close finds the same events again.
    closed_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CancelledTransaction(Base):
    """A transaction id cancelled through the API; a digest closing later leaves its event out."""

    __tablename__ = "cancelled_transactions"

    environment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("environments.id", ondelete="CASCADE"), primary_key=True
    )
    transaction_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
