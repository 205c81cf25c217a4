"""What crosses the workflow/activity boundary for published events and webhook deliveries."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from core.payloads import TriggerInput


class WebhookPolicy(BaseModel):
    """The attempt schedule of §1.8; tests shrink the waits through ``CLARION_WEBHOOKS__*``."""

    base_waits: list[float] = Field(
        default_factory=lambda: [10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0, 10800.0, 21600.0]
    )
    window_seconds: float = 86_400
    timeout_seconds: float = 30
    connect_timeout_seconds: float = 10
    retry_after_cap_seconds: float = 3600
    # Applies when the environment's settings do not say (on in dev mode).
    allow_insecure_default: bool = False


class FanOutInput(BaseModel):
    """An accepted event: record its deliveries and announce it on the real-time bus."""

    environment_id: str
    event_id: str
    type: str
    topics: list[str]
    audiences: list[str] | None = None
    data: Any = None
    # A Clarion lifecycle event (message.delivered, ...): for the environment's lifecycle endpoints, not topics.
    lifecycle: bool = False


class DeliveryStart(BaseModel):
    """A delivery that needs a workflow (disabled subscriptions get ``skipped`` rows and none)."""

    delivery_id: str
    subscription_id: str
    workflow_id: str
    max_attempts: int


class DeliveryInput(BaseModel):
    """One attempt series (the first delivery, or replay ``series``) of one delivery."""

    delivery_id: str
    environment_id: str
    max_attempts: int
    series: int = 0
    policy: WebhookPolicy = Field(default_factory=WebhookPolicy)


class AttemptInput(BaseModel):
    delivery_id: str
    attempt_key: str
    number: int
    policy: WebhookPolicy
    # The jittered wait before the next attempt if this one fails (None: no further attempt).
    wait_if_failed: float | None = None


class AttemptResult(BaseModel):
    """``gone``: the receiver answered 410; ``missing``: the delivery or subscription was deleted."""

    outcome: str  # succeeded | failed | gone | missing
    retry_after_seconds: float | None = None


class FinishInput(BaseModel):
    delivery_id: str
    status: str  # deadlettered
    disable: bool = False


class PublishInput(BaseModel):
    event: FanOutInput
    # None when the event type's workflow is inactive or has no steps (webhooks still go out).
    trigger: TriggerInput | None = None
    policy: WebhookPolicy


class PublishResult(BaseModel):
    triggered: bool
    deliveries: int
