"""workflow versions and replays (issue 17)

Every saved workflow definition becomes a numbered version (existing workflows get version 1), and
a notification records the transaction it replays.

Revision ID: b7e19c4d2a17
Revises: e5c1a9d7b318
Create Date: 2026-12-02 12:00:00
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import store.base

revision: str = "b7e19c4d2a17"
down_revision: str | None = "e5c1a9d7b318"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    versions = op.create_table(
        "workflow_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("workflow_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", _JSON, nullable=False),
        sa.Column("created_at", store.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["environment_id"], ["environments.id"],
                                name=op.f("fk_workflow_versions_environment_id_environments"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workflow_id"], ["notification_workflows.id"],
                                name=op.f("fk_workflow_versions_workflow_id_notification_workflows"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_versions")),
        sa.UniqueConstraint("workflow_id", "version", name=op.f("uq_workflow_versions_workflow_id_version")),
    )
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.add_column(sa.Column("replay_of", sa.String(length=255), nullable=True))
        batch_op.create_index("ix_notifications_env_replay_of", ["environment_id", "replay_of"], unique=False)
    workflows = sa.table(
        "notification_workflows", sa.column("id", sa.Uuid()), sa.column("environment_id", sa.Uuid()),
        sa.column("name", sa.String()), sa.column("active", sa.Boolean()), sa.column("critical", sa.Boolean()),
        sa.column("preferences", _JSON), sa.column("tags", _JSON), sa.column("payload_schema", _JSON),
        sa.column("steps", _JSON), sa.column("updated_at", store.base.UtcDateTime(timezone=True)),
    )
    rows = op.get_bind().execute(sa.select(workflows)).mappings().all()
    if rows:
        op.bulk_insert(versions, [
            {"id": uuid.uuid4(), "environment_id": r["environment_id"], "workflow_id": r["id"], "version": 1,
             "definition": {k: r[k] for k in ("name", "active", "critical", "preferences", "tags", "payload_schema",
                                              "steps")},
             "created_at": r["updated_at"]}
            for r in rows
        ])


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_index("ix_notifications_env_replay_of")
        batch_op.drop_column("replay_of")
    op.drop_table("workflow_versions")
