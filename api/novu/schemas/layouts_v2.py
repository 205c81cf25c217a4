"""Bodies of Novu's ``/v2/layouts`` (``@novu/api``'s CreateLayoutDto, UpdateLayoutDto, LayoutResponseDto)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.novu.schemas.base import NovuResponse


class _Body(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class EmailControlsDto(_Body):
    body: str = Field(max_length=200_000)
    editor_type: Literal["html", "block"] = Field("html", alias="editorType")


class LayoutControlValuesDto(_Body):
    email: EmailControlsDto | None = None


class CreateLayoutV2Dto(_Body):
    layout_id: str = Field(alias="layoutId", min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.:-]+$")
    name: str = Field(min_length=1, max_length=255)
    is_translation_enabled: bool = Field(False, alias="isTranslationEnabled")


class UpdateLayoutV2Dto(_Body):
    name: str = Field(min_length=1, max_length=255)
    is_translation_enabled: bool = Field(False, alias="isTranslationEnabled")
    control_values: LayoutControlValuesDto | None = Field(None, alias="controlValues")


class _Out(NovuResponse):
    model_config = ConfigDict(populate_by_name=True)


class EmailControlsOut(_Out):
    body: str
    editor_type: Literal["html", "block"] = Field("html", alias="editorType")


class LayoutValuesOut(_Out):
    email: EmailControlsOut


class LayoutControlsOut(_Out):
    values: LayoutValuesOut
    data_schema: dict[str, Any] | None = Field(None, alias="dataSchema")


class LayoutV2Dto(_Out):
    id: str = Field(alias="_id")
    layout_id: str = Field(alias="layoutId")
    slug: str
    name: str
    is_default: bool = Field(alias="isDefault")
    is_translation_enabled: bool = Field(False, alias="isTranslationEnabled")
    updated_at: str = Field(alias="updatedAt")
    created_at: str = Field(alias="createdAt")
    origin: Literal["novu-cloud", "external"] = "novu-cloud"
    type: Literal["REGULAR"] = "REGULAR"
    variables: dict[str, Any] | None = None
    controls: LayoutControlsOut


class LayoutV2Envelope(_Out):
    data: LayoutV2Dto


class LayoutListV2Dto(_Out):
    layouts: list[LayoutV2Dto]
    total_count: int = Field(alias="totalCount")


class LayoutListV2Envelope(_Out):
    data: LayoutListV2Dto
