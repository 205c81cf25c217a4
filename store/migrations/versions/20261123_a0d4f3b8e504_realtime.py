"""realtime (issue 9: realtime outbox and socket registry)

Revision ID: a0d4f3b8e504
Revises: 9c3e2a7f4d03
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import store.base

revision: str = "a0d4f3b8e504"
down_revision: str | None = "9c3e2a7f4d03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "realtime_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("created_at", store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realtime_outbox")),
    )
    op.create_index(op.f("ix_realtime_outbox_created_at"), "realtime_outbox", ["created_at"])
    op.create_table(
        "ws_clients",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("owner", sa.String(length=300), nullable=False),
        sa.Column("username", sa.String(length=300), nullable=False),
        sa.Column("subscriptions", _JSON, nullable=False),
        sa.Column("connected_at", store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_ping_at", store.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_pong_at", store.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("queue_depth", sa.Integer(), nullable=False),
        sa.Column("dropped", sa.Integer(), nullable=False),
        sa.Column("messages_sent", sa.Integer(), nullable=False),
        sa.Column("node_started_at", store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_ws_clients")),
    )
    op.create_index(op.f("ix_ws_clients_node"), "ws_clients", ["node"])
    op.create_index(op.f("ix_ws_clients_environment_id"), "ws_clients", ["environment_id"])
    op.create_index(op.f("ix_ws_clients_refreshed_at"), "ws_clients", ["refreshed_at"])


def downgrade() -> None:
    op.drop_table("ws_clients")
    op.drop_table("realtime_outbox")
