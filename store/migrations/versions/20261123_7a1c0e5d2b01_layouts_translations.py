"""layouts_translations (issue 7: layouts, translations, tenant overrides)

Revision ID: 7a1c0e5d2b01
Revises: 6f0b9d4c1a00
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

revision: str = "7a1c0e5d2b01"
down_revision: str | None = "6f0b9d4c1a00"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
