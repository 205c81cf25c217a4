"""layouts_translations (issue 7: layouts, translations, tenant overrides)

Revision ID: 7a1c0e5d2b01
Revises: 6f0b9d4c1a00
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import store.base

revision: str = "7a1c0e5d2b01"
down_revision: str | None = "6f0b9d4c1a00"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _stamp(name: str) -> sa.Column[Any]:
    return sa.Column(name, store.base.UtcDateTime(timezone=True), nullable=False)


def _environment_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["environment_id"], ["environments.id"], name=op.f(f"fk_{table}_environment_id_environments"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "layouts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("identifier", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("variables", _json(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        _stamp("created_at"),
        _stamp("updated_at"),
        _environment_fk("layouts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_layouts")),
        sa.UniqueConstraint("environment_id", "identifier", name=op.f("uq_layouts_environment_id_identifier")),
    )
    op.create_table(
        "translations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("locale", sa.String(length=32), nullable=False),
        sa.Column("messages", _json(), nullable=False),
        _stamp("created_at"),
        _stamp("updated_at"),
        _environment_fk("translations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translations")),
        sa.UniqueConstraint("environment_id", "locale", name=op.f("uq_translations_environment_id_locale")),
    )
    op.create_table(
        "translation_settings",
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("fallback_locale", sa.String(length=32), nullable=False),
        _stamp("updated_at"),
        _environment_fk("translation_settings"),
        sa.PrimaryKeyConstraint("environment_id", name=op.f("pk_translation_settings")),
    )
    op.create_table(
        "tenant_workflow_overrides",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("workflow_id", sa.Uuid(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.Column("preferences", _json(), nullable=False),
        _stamp("created_at"),
        _stamp("updated_at"),
        _environment_fk("tenant_workflow_overrides"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_tenant_workflow_overrides_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"], ["notification_workflows.id"],
            name=op.f("fk_tenant_workflow_overrides_workflow_id_notification_workflows"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_workflow_overrides")),
        sa.UniqueConstraint(
            "tenant_id", "workflow_id", name=op.f("uq_tenant_workflow_overrides_tenant_id_workflow_id")
        ),
    )
    op.create_index(
        op.f("ix_tenant_workflow_overrides_workflow_id"), "tenant_workflow_overrides", ["workflow_id"]
    )


def downgrade() -> None:
    op.drop_table("tenant_workflow_overrides")
    op.drop_table("translation_settings")
    op.drop_table("translations")
    op.drop_table("layouts")
