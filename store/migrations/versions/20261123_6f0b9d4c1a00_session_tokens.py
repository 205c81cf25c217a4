"""session tokens

Revision ID: 6f0b9d4c1a00
Revises: 52423eaa63d8
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.base

revision: str = "6f0b9d4c1a00"
down_revision: str | None = "52423eaa63d8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "session_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("subscriber_id", sa.String(length=255), nullable=True),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column("expires_at", store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", store.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", store.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["environment_id"], ["environments.id"],
            name=op.f("fk_session_tokens_environment_id_environments"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_session_tokens_token_hash")),
    )
    op.create_index(op.f("ix_session_tokens_environment_id"), "session_tokens", ["environment_id"])
    op.create_index(op.f("ix_session_tokens_group_id"), "session_tokens", ["group_id"])


def downgrade() -> None:
    op.drop_table("session_tokens")
