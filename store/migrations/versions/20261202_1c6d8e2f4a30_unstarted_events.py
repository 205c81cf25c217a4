"""unstarted lifecycle events (issue 18)

A lifecycle event is written here with its published event and deleted once its publish workflow
started; the worker's periodic sweep starts those a crash or a Temporal outage left behind.

Revision ID: 1c6d8e2f4a30
Revises: f3a8c2d4e619
Create Date: 2026-12-02 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.base

revision: str = "1c6d8e2f4a30"
down_revision: str | None = "f3a8c2d4e619"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unstarted_events",
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", store.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["environment_id"], ["environments.id"],
                                name=op.f("fk_unstarted_events_environment_id_environments"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("environment_id", "event_id", name=op.f("pk_unstarted_events")),
    )
    op.create_index(op.f("ix_unstarted_events_created_at"), "unstarted_events", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_unstarted_events_created_at"), table_name="unstarted_events")
    op.drop_table("unstarted_events")
