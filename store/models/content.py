"""What shapes a message's content per environment: email layouts, translations, tenant overrides."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, JsonType, new_id, utcnow


class Layout(Base):
    """An email layout (Novu's ``/v1/layouts``): a Jinja HTML shell that reads ``{{ body }}``.

    At most one layout per environment is the default; the routes keep it so (Novu does the same
    in its use cases, not with a partial index, which SQLite and PostgreSQL spell differently).
    """

    __tablename__ = "layouts"
    __table_args__ = (UniqueConstraint("environment_id", "identifier"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    environment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    identifier: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    # Novu's layout variables ([{name, type, defaultValue, required}]), stored and echoed as sent.
    variables: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Translation(Base):
    """The messages of one locale in one environment; ``locale`` is canonical (``en_US``)."""

    __tablename__ = "translations"
    __table_args__ = (UniqueConstraint("environment_id", "locale"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    environment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(32))
    messages: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TranslationSettings(Base):
    """Per-environment translation settings: the locale used when the subscriber's has no message."""

    __tablename__ = "translation_settings"

    environment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("environments.id", ondelete="CASCADE"), primary_key=True
    )
    fallback_locale: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TenantWorkflowOverride(Base):
    """A tenant's view of one workflow: switched off (``active`` false) or other preference defaults.

    ``active`` None means "as the workflow is"; ``preferences`` holds only what the tenant overrides,
    in the workflow's preference shape (``{"all": {...}, "channels": {"email": {"enabled": false}}}``).
    """

    __tablename__ = "tenant_workflow_overrides"
    __table_args__ = (UniqueConstraint("tenant_id", "workflow_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    environment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    workflow_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notification_workflows.id", ondelete="CASCADE"), index=True
    )
    active: Mapped[bool | None]
    preferences: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
