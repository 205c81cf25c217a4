"""Replay requests and answers, and the list of a workflow's saved versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


class ReplayBody(_Camel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    definition: Literal["current", "original"] = Field(
        default="current", description="the workflow as saved now, or the version the original run used"
    )
    transaction_id: str | None = Field(default=None, min_length=1, max_length=200,
                                       description="the new transaction's id (default: generated)")


class ReplayAnswer(_Camel):
    transaction_id: str
    replay_of: str
    definition: Literal["current", "original"]
    workflow_version: int | None = None
    temporal_url: str


class ReplayEnvelope(BaseModel):
    data: ReplayAnswer


class WorkflowVersionDto(_Camel):
    version: int
    current: bool
    created_at: datetime
    definition: dict[str, Any]


class WorkflowVersionsEnvelope(BaseModel):
    data: list[WorkflowVersionDto]
