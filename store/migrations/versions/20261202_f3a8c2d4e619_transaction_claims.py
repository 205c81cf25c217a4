"""transaction claims of batched runs (issue 20)

The events of one bulk call run together in one workflow; each takes its (environment,
transactionId) here, so a transaction id is delivered once across bulk calls.

Revision ID: f3a8c2d4e619
Revises: b7e19c4d2a17
Create Date: 2026-12-02 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.base

revision: str = "f3a8c2d4e619"
down_revision: str | None = "b7e19c4d2a17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transaction_claims",
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("transaction_id", sa.String(length=255), nullable=False),
        sa.Column("owner", sa.String(length=300), nullable=False),
        sa.Column("created_at", store.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["environment_id"], ["environments.id"],
                                name=op.f("fk_transaction_claims_environment_id_environments"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("environment_id", "transaction_id", name=op.f("pk_transaction_claims")),
    )


def downgrade() -> None:
    op.drop_table("transaction_claims")
