"""Request and response bodies of ``/v2/workflows``, shaped as novu-py 3.19 sends and parses them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.novu.schemas.base import NovuResponse, Nullable

Severity = Literal["high", "medium", "low", "none"]
Status = Literal["ACTIVE", "INACTIVE", "ERROR"]
Origin = Literal["novu-cloud", "external"]


class _Camel(BaseModel):
    # Novu's SDKs add fields over time (``__source``, ``agent``, ...): ignore what we do not model.
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class _Out(NovuResponse):
    """A response body: absent optional values are left out (``api.novu.schemas.base``)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class PreferenceAllDto(_Camel):
    enabled: bool = True
    read_only: bool = Field(False, alias="readOnly")


class ChannelPreferenceDto(_Camel):
    enabled: bool = True


class WorkflowPreferencesDto(_Camel):
    """Novu v2 preference defaults: a master switch and one switch per channel."""

    all: PreferenceAllDto = Field(default_factory=PreferenceAllDto)
    channels: dict[str, ChannelPreferenceDto] = Field(default_factory=dict)


class PreferencesRequestDto(_Camel):
    user: WorkflowPreferencesDto | None = None
    workflow: WorkflowPreferencesDto | None = None


class StepUpsertDto(_Camel):
    # ``type`` is a plain string so an unknown type is a 400 naming the step, not a 422.
    name: str = Field(min_length=1, max_length=255)
    type: str
    id: str | None = Field(None, alias="_id")
    step_id: str | None = Field(None, alias="stepId", max_length=255)
    control_values: dict[str, Any] | None = Field(None, alias="controlValues")
    # Clarion's extension: the language of this step's templates. Steps saved through these (Novu)
    # routes are Liquid, as in Novu, unless they say "jinja"; an edited step keeps its language.
    template_syntax: Literal["liquid", "jinja"] | None = Field(None, alias="templateSyntax")


class WorkflowFields(_Camel):
    description: str | None = None
    tags: list[str] | None = None
    active: bool | None = None
    validate_payload: bool | None = Field(None, alias="validatePayload")
    payload_schema: dict[str, Any] | None = Field(None, alias="payloadSchema")
    is_translation_enabled: bool | None = Field(None, alias="isTranslationEnabled")
    severity: Severity | None = None


class CreateWorkflowDto(WorkflowFields):
    name: str = Field(min_length=1, max_length=255)
    workflow_id: str | None = Field(None, alias="workflowId", min_length=1, max_length=255)
    steps: list[StepUpsertDto] = Field(default_factory=list)
    preferences: PreferencesRequestDto | None = None


class UpdateWorkflowDto(WorkflowFields):
    name: str = Field(min_length=1, max_length=255)
    workflow_id: str | None = Field(None, alias="workflowId", min_length=1, max_length=255)
    steps: list[StepUpsertDto]
    preferences: PreferencesRequestDto | None = None


class PatchWorkflowDto(WorkflowFields):
    name: str | None = Field(None, min_length=1, max_length=255)


class ControlsMetadataDto(_Out):
    values: dict[str, Any]
    data_schema: dict[str, Any] | None = Field(None, alias="dataSchema")


class StepResponseDto(_Out):
    id: str = Field(alias="_id")
    step_id: str = Field(alias="stepId")
    slug: str
    name: str
    type: str
    origin: Origin
    workflow_id: str = Field(alias="workflowId")
    workflow_database_id: str = Field(alias="workflowDatabaseId")
    controls: ControlsMetadataDto
    control_values: dict[str, Any] = Field(alias="controlValues")
    template_syntax: Literal["liquid", "jinja"] = Field("jinja", alias="templateSyntax")
    variables: dict[str, Any]


class PreferencesResponseDto(_Out):
    default: WorkflowPreferencesDto
    user: Nullable[WorkflowPreferencesDto] = None


class _WorkflowSummary(_Out):
    id: str = Field(alias="_id")
    workflow_id: str = Field(alias="workflowId")
    slug: str
    name: str
    tags: list[str]
    status: Status
    origin: Origin
    created_at: str = Field(alias="createdAt")
    updated_at: str = Field(alias="updatedAt")
    is_translation_enabled: bool = Field(False, alias="isTranslationEnabled")


class WorkflowResponseDto(_WorkflowSummary):
    description: str | None = None
    active: bool
    severity: Severity
    validate_payload: bool = Field(alias="validatePayload")
    payload_schema: dict[str, Any] | None = Field(alias="payloadSchema")
    preferences: PreferencesResponseDto
    steps: list[StepResponseDto]


class StepSummaryDto(_Out):
    slug: str
    type: str


class WorkflowListItemDto(_WorkflowSummary):
    step_type_overviews: list[str] = Field(alias="stepTypeOverviews")
    steps: list[StepSummaryDto]


class ListWorkflowResponse(_Out):
    workflows: list[WorkflowListItemDto]
    total_count: int = Field(alias="totalCount")


class WorkflowEnvelope(NovuResponse):
    data: WorkflowResponseDto


class WorkflowListEnvelope(NovuResponse):
    data: ListWorkflowResponse


class StepEnvelope(NovuResponse):
    data: StepResponseDto
