"""delivery events (issue 18: provider delivery events, lifecycle webhook endpoints, send-rate limits)

Revision ID: e5c1a9d7b318
Revises: 5e7c1b9d2a41
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import store.base

revision: str = "e5c1a9d7b318"
down_revision: str | None = "5e7c1b9d2a41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "provider_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("environment_id", sa.Uuid(), nullable=True),
        sa.Column("integration_id", sa.Uuid(), nullable=True),
        sa.Column("provider_id", sa.String(length=100), nullable=True),
        sa.Column("provider_event_id", sa.String(length=255), nullable=True),
        sa.Column("provider_message_id", sa.String(length=512), nullable=True),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("event", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("occurred_at", store.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("raw", _JSON, nullable=True),
        sa.Column("created_at", store.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["environment_id"], ["environments.id"],
                                name=op.f("fk_provider_events_environment_id_environments"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"],
                                name=op.f("fk_provider_events_integration_id_integrations"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"],
                                name=op.f("fk_provider_events_message_id_messages"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_events")),
        sa.UniqueConstraint("integration_id", "provider_event_id",
                            name=op.f("uq_provider_events_integration_id_provider_event_id")),
    )
    op.create_index("ix_provider_events_env_created", "provider_events", ["environment_id", "created_at"])
    op.create_index("ix_messages_provider_message_id", "messages", ["provider_message_id"])
    with op.batch_alter_table("webhook_subscriptions") as batch:
        # A subscription without a topic is a lifecycle endpoint (/v1/webhooks/endpoints).
        batch.alter_column("topic_id", existing_type=sa.Uuid(), nullable=True)
    with op.batch_alter_table("integrations") as batch:
        batch.add_column(sa.Column("max_per_second", sa.Float(), nullable=True))
        batch.add_column(sa.Column("burst", sa.Integer(), nullable=True))
    op.create_table(
        "send_rate_buckets",
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("slots", _JSON, nullable=False),
        sa.Column("paused_until", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"],
                                name=op.f("fk_send_rate_buckets_integration_id_integrations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("integration_id", name=op.f("pk_send_rate_buckets")),
    )


def downgrade() -> None:
    op.drop_table("send_rate_buckets")
    with op.batch_alter_table("integrations") as batch:
        batch.drop_column("burst")
        batch.drop_column("max_per_second")
    op.execute("DELETE FROM webhook_subscriptions WHERE topic_id IS NULL")
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.alter_column("topic_id", existing_type=sa.Uuid(), nullable=False)
    op.drop_index("ix_messages_provider_message_id", table_name="messages")
    op.drop_index("ix_provider_events_env_created", table_name="provider_events")
    op.drop_table("provider_events")
