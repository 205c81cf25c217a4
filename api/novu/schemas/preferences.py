"""Bodies of the subscriber preference routes, v1 (novu 1.14) and v2 (novu-py 3.19)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.novu.schemas.base import NovuResponse

PreferenceChannel = Literal["in_app", "email", "sms", "chat", "push"]
Criticality = Literal["critical", "nonCritical", "all"]


class _Camel(BaseModel):
    # Novu's SDKs add fields over time (``schedule``, ``context``, ...): ignore what we do not model.
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class _Out(NovuResponse):
    """A response body: absent optional values are left out (``api.novu.schemas.base``)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")


# ---- v1 -------------------------------------------------------------------------------------


class ChannelToggleDto(_Camel):
    type: PreferenceChannel
    enabled: bool


class UpdateWorkflowPreferenceV1Dto(_Camel):
    """``{channel: {type, enabled}}`` switches one channel, ``{enabled}`` the whole workflow."""

    channel: ChannelToggleDto | None = None
    enabled: bool | None = None


class UpdateGlobalPreferenceV1Dto(_Camel):
    enabled: bool | None = None
    preferences: list[ChannelToggleDto] | None = None


class OverrideDto(_Out):
    channel: PreferenceChannel
    source: Literal["subscriber", "template", "workflowOverride"]


class PreferenceV1Dto(_Out):
    enabled: bool
    channels: dict[str, bool]
    overrides: list[OverrideDto] = Field(default_factory=list)


class TemplateV1Dto(_Out):
    id: str = Field(alias="_id")
    name: str
    critical: bool
    triggers: list[str]
    tags: list[str]


class WorkflowPreferenceV1Dto(_Out):
    preference: PreferenceV1Dto
    template: TemplateV1Dto


class GlobalPreferenceV1Dto(_Out):
    preference: PreferenceV1Dto


class PreferencesV1Envelope(NovuResponse):
    data: list[WorkflowPreferenceV1Dto]


class WorkflowPreferenceV1Envelope(NovuResponse):
    data: WorkflowPreferenceV1Dto


class GlobalPreferenceV1Envelope(NovuResponse):
    data: GlobalPreferenceV1Dto


# ---- v2 -------------------------------------------------------------------------------------


class PatchChannelsDto(_Camel):
    in_app: bool | None = None
    email: bool | None = None
    sms: bool | None = None
    chat: bool | None = None
    push: bool | None = None

    def switches(self) -> dict[str, bool]:
        """The channels the client set (absent ones keep their value)."""
        return {name: value for name, value in self.model_dump().items() if value is not None}


class PatchPreferencesDto(_Camel):
    """Without ``workflowId`` the global switches change."""

    channels: PatchChannelsDto | None = None
    workflow_id: str | None = Field(None, alias="workflowId", min_length=1, max_length=255)


class BulkPreferenceItemDto(_Camel):
    channels: PatchChannelsDto
    workflow_id: str = Field(alias="workflowId", min_length=1, max_length=255)


class BulkPreferencesDto(_Camel):
    preferences: list[BulkPreferenceItemDto] = Field(min_length=1, max_length=100)


class GlobalPreferenceDto(_Out):
    enabled: bool
    channels: dict[str, bool]


class WorkflowInfoDto(_Out):
    slug: str
    identifier: str
    name: str
    updated_at: str | None = Field(None, alias="updatedAt")


class WorkflowPreferenceDto(_Out):
    enabled: bool
    channels: dict[str, bool]
    overrides: list[OverrideDto]
    workflow: WorkflowInfoDto
    updated_at: str | None = Field(None, alias="updatedAt")


class SubscriberPreferencesDto(_Out):
    global_: GlobalPreferenceDto = Field(alias="global")
    workflows: list[WorkflowPreferenceDto]


class SubscriberPreferencesEnvelope(NovuResponse):
    data: SubscriberPreferencesDto


class PreferenceWorkflowDto(_Out):
    id: str
    identifier: str
    name: str
    critical: bool
    severity: Literal["high", "medium", "low", "none"]
    tags: list[str]


class LevelPreferenceDto(_Out):
    level: Literal["global", "template"]
    enabled: bool
    channels: dict[str, bool]
    workflow: PreferenceWorkflowDto | None = None


class BulkPreferencesEnvelope(NovuResponse):
    data: list[LevelPreferenceDto]
