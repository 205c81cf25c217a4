"""streams (issue 9: stream topics and messages)

Revision ID: 9c3e2a7f4d03
Revises: 8b2d1f6e3c02
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.base

revision: str = "9c3e2a7f4d03"
down_revision: str | None = "8b2d1f6e3c02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stream_topics",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("fields", store.base.JsonType, nullable=False),
        sa.Column("retention", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=255), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_time", store.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("deleted_through_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_activity_at", store.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["environment_id"], ["environments.id"],
            name=op.f("fk_stream_topics_environment_id_environments"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_topics")),
        sa.UniqueConstraint("environment_id", "name", name=op.f("uq_stream_topics_environment_id_name")),
    )
    op.create_index(op.f("ix_stream_topics_environment_id"), "stream_topics", ["environment_id"])
    op.create_table(
        "stream_messages",
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("time", store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("payload", store.base.JsonType, nullable=False),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["stream_topics.id"],
            name=op.f("fk_stream_messages_topic_id_stream_topics"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("topic_id", "seq", name=op.f("pk_stream_messages")),
    )
    op.create_index("ix_stream_messages_topic_id_time", "stream_messages", ["topic_id", "time"])


def downgrade() -> None:
    op.drop_table("stream_messages")
    op.drop_table("stream_topics")
