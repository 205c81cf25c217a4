"""Request and response bodies of ``/v1/layouts`` (Novu's v1 layout DTOs)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from api.novu.schemas.base import NovuResponse
from api.novu.schemas.subscribers import StorableBody


class CreateLayoutDto(StorableBody):
    name: str = Field(min_length=1, max_length=255)
    # Novu derives none; Clarion slugs the name when it is left out.
    identifier: str | None = Field(None, min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.:-]+$")
    description: str | None = None
    # Left out: the built-in layout (templates/layouts/default.html) as a starting point.
    content: str | None = Field(None, max_length=200_000)
    variables: list[dict[str, Any]] | None = None
    is_default: bool | None = Field(None, alias="isDefault")


class UpdateLayoutDto(StorableBody):
    """The fields to change; absent ones keep their value."""

    name: str | None = Field(None, min_length=1, max_length=255)
    identifier: str | None = Field(None, min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.:-]+$")
    description: str | None = None
    content: str | None = Field(None, max_length=200_000)
    variables: list[dict[str, Any]] | None = None
    is_default: bool | None = Field(None, alias="isDefault")


class _Out(NovuResponse):
    model_config = ConfigDict(populate_by_name=True)


class LayoutDto(_Out):
    id: str = Field(alias="_id")
    organization_id: str = Field(alias="_organizationId")
    environment_id: str = Field(alias="_environmentId")
    # Clarion has API keys, not users: the key's id stands in for Novu's creator.
    creator_id: str = Field(alias="_creatorId")
    name: str
    identifier: str
    description: str | None
    channel: str = "email"
    content: str
    content_type: str = Field("customHtml", alias="contentType")
    variables: list[dict[str, Any]]
    is_default: bool = Field(alias="isDefault")
    is_deleted: bool = Field(False, alias="isDeleted")
    created_at: str = Field(alias="createdAt")
    updated_at: str = Field(alias="updatedAt")


class LayoutEnvelope(NovuResponse):
    data: LayoutDto


class LayoutIdDto(_Out):
    id: str = Field(alias="_id")


class LayoutIdEnvelope(NovuResponse):
    data: LayoutIdDto


class LayoutPage(_Out):
    """Novu's layout page, at the top level (its ``data`` is the list)."""

    data: list[LayoutDto]
    page: int
    page_size: int = Field(alias="pageSize")
    total_count: int = Field(alias="totalCount")
