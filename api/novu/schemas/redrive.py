"""Re-drive requests and answers (``POST /v1/events/trigger/{transactionId}/redrive``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

ChannelName = Literal["in_app", "email", "sms", "chat", "push", "webhook"]
RedriveState = Literal["failed", "unknown"]
BOTH: tuple[RedriveState, ...] = ("failed", "unknown")


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class RedriveBody(_Camel):
    """Which failed or unknown deliveries to send again; empty lists mean all of them."""

    subscriber_ids: list[str] = Field(default_factory=list, max_length=1000)
    channels: list[ChannelName] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list, max_length=100)
    include: list[RedriveState] = Field(
        default_factory=lambda: list(BOTH), min_length=1, max_length=2,
        description='which outcomes to send again: "failed" (the provider refused or the retries ran out) and '
                    '"unknown" (the worker died mid-send under policy at_most_once: a resend may duplicate it); '
                    "both by default",
    )


class RedriveDelivery(_Camel):
    subscriber_id: str
    step_id: str
    channel: str
    state: RedriveState = Field(description='"unknown": the outcome of the first send is unknown (it may have '
                                            "arrived), so this resend may be a duplicate")


class RedriveAnswer(_Camel):
    transaction_id: str
    started: bool = Field(description="false when nothing matched: no run was started")
    redrive_workflow_id: str | None = None
    temporal_url: str | None = None
    deliveries: list[RedriveDelivery]
    failed: int = Field(0, description="how many of the deliveries had failed")
    unknown: int = Field(0, description="how many of the deliveries had an unknown outcome")


class RedriveEnvelope(BaseModel):
    data: RedriveAnswer
