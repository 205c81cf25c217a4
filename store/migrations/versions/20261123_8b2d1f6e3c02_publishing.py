"""publishing (issue 8: event publishing, webhooks, groups, occurrences)

Revision ID: 8b2d1f6e3c02
Revises: 7b2f4c8d9e02
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import store.base

revision: str = "8b2d1f6e3c02"
down_revision: str | None = "7b2f4c8d9e02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, store.base.UtcDateTime(timezone=True), nullable=nullable)


def _env_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["environment_id"], ["environments.id"], name=op.f(f"fk_{table}_environment_id_environments"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("audiences", _json(), nullable=True))
    with op.batch_alter_table("topics") as batch:
        batch.add_column(sa.Column("description", sa.Text(), nullable=True))

    op.create_table(
        "published_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column("topics", _json(), nullable=False),
        sa.Column("audiences", _json(), nullable=True),
        sa.Column("data", _json(), nullable=False),
        sa.Column("options", _json(), nullable=False),
        _time("created_at"),
        _env_fk("published_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_events")),
        sa.UniqueConstraint("environment_id", "event_id", name=op.f("uq_published_events_environment_id_event_id")),
    )
    op.create_index(op.f("ix_published_events_created_at"), "published_events", ["created_at"])

    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("topic_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("webhook_url", sa.String(length=2048), nullable=False),
        sa.Column("event_types", _json(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=100), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("deadletter_count", sa.Integer(), nullable=False),
        sa.Column("qflow_signature", sa.Boolean(), nullable=False),
        sa.Column("payload_format", sa.String(length=16), nullable=False),
        sa.Column("secrets", sa.Text(), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        _env_fk("webhook_subscriptions"),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_webhook_subscriptions_topic_id_topics"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    op.create_index(op.f("ix_webhook_subscriptions_topic_id"), "webhook_subscriptions", ["topic_id"])

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("event_type", sa.String(length=255), nullable=False),
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("webhook_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("replays", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.String(length=400), nullable=True),
        _time("last_attempt_at", True),
        _time("next_attempt_at", True),
        sa.Column("last_response_status", sa.Integer(), nullable=True),
        sa.Column("last_response_body", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _time("deadlettered_at", True),
        _time("created_at"),
        _time("updated_at"),
        _env_fk("webhook_deliveries"),
        sa.ForeignKeyConstraint(
            ["subscription_id"], ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries_subscription_id_webhook_subscriptions"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("subscription_id", "event_id", name=op.f("uq_webhook_deliveries_subscription_id_event_id")),
    )
    op.create_index(
        "ix_webhook_deliveries_subscription_page", "webhook_deliveries", ["subscription_id", "created_at", "id"]
    )

    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("attempt_key", sa.String(length=420), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        _time("started_at"),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts_delivery_id_webhook_deliveries"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
        sa.UniqueConstraint("attempt_key", name=op.f("uq_webhook_attempts_attempt_key")),
    )
    op.create_index(op.f("ix_webhook_attempts_delivery_id"), "webhook_attempts", ["delivery_id"])

    op.create_table(
        "subscriber_groups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("audience", sa.String(length=100), nullable=True),
        sa.Column("permissions", _json(), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        _env_fk("subscriber_groups"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriber_groups")),
    )
    op.create_index(op.f("ix_subscriber_groups_environment_id"), "subscriber_groups", ["environment_id"])

    op.create_table(
        "occurrences",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("event", sa.String(length=255), nullable=False),
        sa.Column("transaction_id", sa.String(length=255), nullable=False),
        sa.Column("correlation_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("data", _json(), nullable=False),
        sa.Column("options", _json(), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        _env_fk("occurrences"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_occurrences")),
    )
    op.create_index(op.f("ix_occurrences_environment_id"), "occurrences", ["environment_id"])


def downgrade() -> None:
    for table in ("occurrences", "subscriber_groups", "webhook_attempts", "webhook_deliveries",
                  "webhook_subscriptions", "published_events"):
        op.drop_table(table)
    with op.batch_alter_table("topics") as batch:
        batch.drop_column("description")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("audiences")
