"""workflow_actions (issue 7: throttle and digest bookkeeping)

Revision ID: 7b2f4c8d9e02
Revises: 7a1c0e5d2b01
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import store.base

revision: str = "7b2f4c8d9e02"
down_revision: str | None = "7a1c0e5d2b01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _stamp(name: str) -> sa.Column[Any]:
    return sa.Column(name, store.base.UtcDateTime(timezone=True), nullable=False)


def _environment_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["environment_id"], ["environments.id"], name=op.f(f"fk_{table}_environment_id_environments"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "action_locks",
        sa.Column("scope", sa.String(length=300), nullable=False),
        _stamp("touched_at"),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_action_locks")),
    )
    op.create_table(
        "throttle_claims",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=300), nullable=False),
        sa.Column("run_key", sa.String(length=512), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        _stamp("claimed_at"),
        _environment_fk("throttle_claims"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttle_claims")),
        sa.UniqueConstraint("scope", "run_key", name=op.f("uq_throttle_claims_scope_run_key")),
    )
    op.create_index("ix_throttle_claims_scope_claimed", "throttle_claims", ["scope", "claimed_at"])
    op.create_table(
        "digest_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("transaction_id", sa.String(length=255), nullable=False),
        sa.Column("subscriber_id", sa.String(length=255), nullable=False),
        sa.Column("step_id", sa.String(length=255), nullable=False),
        sa.Column("run_key", sa.String(length=512), nullable=False),
        sa.Column("group_id", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        _stamp("created_at"),
        _environment_fk("digest_entries"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_entries")),
        sa.UniqueConstraint(
            "run_key", "step_id", "subscriber_id", name=op.f("uq_digest_entries_run_key_step_id_subscriber_id")
        ),
    )
    op.create_index("ix_digest_entries_transaction", "digest_entries", ["environment_id", "transaction_id"])
    op.create_index("ix_digest_entries_group_created", "digest_entries", ["group_id", "created_at"])
    op.create_table(
        "cancelled_transactions",
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("transaction_id", sa.String(length=255), nullable=False),
        _stamp("created_at"),
        _environment_fk("cancelled_transactions"),
        sa.PrimaryKeyConstraint("environment_id", "transaction_id", name=op.f("pk_cancelled_transactions")),
    )


def downgrade() -> None:
    op.drop_table("cancelled_transactions")
    op.drop_table("digest_entries")
    op.drop_table("throttle_claims")
    op.drop_table("action_locks")
