"""Request and response bodies of ``/v1/tenants``, as novu 1.14's ``TenantApi`` sends and parses them."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from api.novu.schemas.base import NovuResponse
from api.novu.schemas.subscribers import StorableBody


class CreateTenantDto(StorableBody):
    identifier: str = Field(min_length=1, max_length=255, pattern=r"\S")
    name: str = Field(min_length=1, max_length=255)
    data: dict[str, Any] | None = None


class PatchTenantDto(StorableBody):
    """The fields to change; null or absent ones keep their value (novu 1.14 drops empty ones)."""

    identifier: str | None = Field(None, min_length=1, max_length=255, pattern=r"\S")
    name: str | None = Field(None, min_length=1, max_length=255)
    data: dict[str, Any] | None = None


class _Out(NovuResponse):
    model_config = ConfigDict(populate_by_name=True)


class TenantResponseDto(_Out):
    id: str = Field(alias="_id")
    identifier: str
    # Null for a tenant first seen in a trigger's tenant object without a name.
    name: str | None
    data: dict[str, Any]
    environment_id: str = Field(alias="_environmentId")
    created_at: str = Field(alias="createdAt")
    updated_at: str = Field(alias="updatedAt")


class TenantEnvelope(NovuResponse):
    data: TenantResponseDto


class TenantPageResponse(_Out):
    """Novu's tenant page, at the top level (not enveloped)."""

    data: list[TenantResponseDto]
    page: int
    page_size: int = Field(alias="pageSize")
    has_more: bool = Field(alias="hasMore")
