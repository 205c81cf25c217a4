"""inbox sessions (issue 16: application identifiers, HMAC keys sealed at rest, CORS origins, snooze, severity)

Revision ID: c5e1a9d2b716
Revises: a0d4f3b8e504
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import store.base

revision: str = "c5e1a9d2b716"
down_revision: str | None = "a0d4f3b8e504"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # add_column only (no constraints in ALTER TABLE), so SQLite needs no table rebuild.
    op.add_column("environments", sa.Column("application_identifier", sa.String(length=64), nullable=True))
    op.create_index(
        op.f("ix_environments_application_identifier"), "environments", ["application_identifier"], unique=True
    )
    op.add_column("environments", sa.Column("inbox_hmac", sa.Boolean(), nullable=True))
    op.add_column("environments", sa.Column("cors_origins", _JSON, nullable=True))
    op.add_column("api_keys", sa.Column("sealed_key", sa.Text(), nullable=True))
    op.add_column("messages", sa.Column("snoozed_until", store.base.UtcDateTime(timezone=True), nullable=True))
    op.add_column("subscriber_preferences", sa.Column("schedule", _JSON, nullable=True))
    op.add_column(
        "notification_workflows",
        sa.Column("severity", sa.String(length=16), nullable=False, server_default="none"),
    )


def downgrade() -> None:
    op.drop_column("notification_workflows", "severity")
    op.drop_column("subscriber_preferences", "schedule")
    op.drop_column("messages", "snoozed_until")
    op.drop_column("api_keys", "sealed_key")
    op.drop_column("environments", "cors_origins")
    op.drop_column("environments", "inbox_hmac")
    op.drop_index(op.f("ix_environments_application_identifier"), table_name="environments")
    op.drop_column("environments", "application_identifier")
