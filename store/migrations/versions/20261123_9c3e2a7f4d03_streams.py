"""streams (issue 9: stream topics and messages)

Revision ID: 9c3e2a7f4d03
Revises: 8b2d1f6e3c02
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

revision: str = "9c3e2a7f4d03"
down_revision: str | None = "8b2d1f6e3c02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
