"""realtime (issue 9: realtime outbox and socket registry)

Revision ID: a0d4f3b8e504
Revises: 9c3e2a7f4d03
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

revision: str = "a0d4f3b8e504"
down_revision: str | None = "9c3e2a7f4d03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
