"""workflow_actions (issue 7: throttle and digest bookkeeping)

Revision ID: 7b2f4c8d9e02
Revises: 7a1c0e5d2b01
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

revision: str = "7b2f4c8d9e02"
down_revision: str | None = "7a1c0e5d2b01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
