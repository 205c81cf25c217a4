"""Which batched run owns a transaction id: exactly once per (environment, transactionId)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, utcnow


class TransactionClaim(Base):
    """A transaction id taken by a batched run (``owner``: its workflow id). A single trigger's id is
    its workflow id (``REJECT_DUPLICATE``); the events of a batched run share one workflow, so they
    take this row instead."""

    __tablename__ = "transaction_claims"

    environment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("environments.id", ondelete="CASCADE"), primary_key=True
    )
    transaction_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    owner: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
