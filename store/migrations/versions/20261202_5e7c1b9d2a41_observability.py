"""observability (issue 19: trace ids on execution details; indexes for the retention sweep)

Revision ID: 5e7c1b9d2a41
Revises: c5e1a9d2b716
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e7c1b9d2a41"
down_revision: str | None = "c5e1a9d2b716"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("execution_details") as batch:
        batch.add_column(sa.Column("trace_id", sa.String(length=32), nullable=True))
    # The retention sweep pages through old rows by creation time and old read messages by read time.
    op.create_index("ix_notifications_created", "notifications", ["created_at"])
    op.create_index("ix_messages_read_at", "messages", ["read_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_read_at", table_name="messages")
    op.drop_index("ix_notifications_created", table_name="notifications")
    with op.batch_alter_table("execution_details") as batch:
        batch.drop_column("trace_id")
