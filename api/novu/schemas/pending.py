"""Pending delays and digests, and what a bulk cancel or fast-forward did to them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Outcome = Literal["cancelled", "cancelled_for_subscriber", "fast_forwarded", "not_cancelled"]


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


class PendingDelay(_Camel):
    workflow_id: str
    transaction_id: str
    step_id: str
    started_at: datetime
    planned_end: datetime
    subscriber_ids: list[str]
    shared: bool = Field(description="the run also waits for other recipients than the one asked for")
    temporal_url: str
    outcome: Outcome | None = None


class PendingDigest(_Camel):
    digest_workflow_id: str
    entry_id: str
    transaction_id: str
    subscriber_id: str
    step_id: str
    workflow_identifier: str
    entered_at: datetime
    temporal_url: str
    outcome: Outcome | None = None


class PendingList(_Camel):
    delays: list[PendingDelay]
    digests: list[PendingDigest]


class PendingEnvelope(BaseModel):
    data: PendingList


class PendingScopeBody(_Camel):
    """Exactly one of the three."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    subscriber_id: str | None = Field(default=None, max_length=255)
    tenant: str | None = Field(default=None, max_length=255)
    workflow_id: str | None = Field(default=None, max_length=255, description="the workflow's identifier")
