"""publishing (issue 8: event publishing, webhooks, groups, occurrences)

Revision ID: 8b2d1f6e3c02
Revises: 7b2f4c8d9e02
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

revision: str = "8b2d1f6e3c02"
down_revision: str | None = "7b2f4c8d9e02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
