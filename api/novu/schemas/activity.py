"""Novu's activity DTOs (novu-py 3.19's ``Activity*ResponseDto``) and the one mapping onto them.

The store keeps Clarion's own words (lowercase statuses, ``webhook`` steps, provider ids such as
``smtp``); novu-py parses these fields as closed enums, so every value goes through the tables
below. ``temporalUrl`` and ``clarionProviderId`` are additive: the SDK ignores unknown fields.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import ConfigDict, Field

from api.novu.schemas.base import NovuResponse
from api.operations.run_histories import run_url
from core.settings import TemporalSettings
from store.activity_feed import JobView, NotificationView
from store.models import ExecutionDetail, Notification, Subscriber

StepType = Literal[
    "in_app", "email", "sms", "chat", "push", "tool", "digest", "trigger", "delay", "throttle", "custom", "http_request"
]
DetailChannel = Literal["in_app", "email", "sms", "chat", "push", "digest", "trigger", "delay", "custom"]
JobStatus = Literal["pending", "queued", "running", "completed", "failed", "delayed", "canceled", "merged", "skipped"]
DetailStatus = Literal["Success", "Warning", "Failed", "Pending", "Queued", "ReadConfirmation"]
DetailSource = Literal["Internal", "Payload", "Webhook", "Credentials"]

_STEP_TYPES: dict[str, StepType] = {v: v for v in get_args(StepType)} | {"webhook": "http_request"}
_DETAIL_CHANNELS: dict[str, DetailChannel] = {v: v for v in get_args(DetailChannel)}
_JOB_STATUSES: dict[str, JobStatus] = {v: v for v in get_args(JobStatus)} | {"cancelled": "canceled"}
_DETAIL_STATUSES: dict[str, DetailStatus] = {v.lower(): v for v in get_args(DetailStatus)} | {
    "read_confirmation": "ReadConfirmation"
}
_DETAIL_SOURCES: dict[str, DetailSource] = {v.lower(): v for v in get_args(DetailSource)}
# Clarion's built-in providers under the nearest id of Novu's closed ProvidersIDEnum.
_PROVIDERS = {
    "smtp": "nodemailer", "in_app": "novu", "slack_bot": "slack", "slack_webhook": "slack",
    "discord_webhook": "discord", "msteams_webhook": "msteams", "mattermost_webhook": "mattermost",
    "twilio_sms": "twilio", "http_sms": "generic-sms", "expo_push": "expo", "fcm_push": "fcm",
}  # fmt: skip
# Plugins named like a Novu provider keep their id; anything else reads as Novu's own ("novu").
_NOVU_PROVIDERS = frozenset(
    {"sendgrid", "mailgun", "postmark", "ses", "resend", "mailjet", "nodemailer", "twilio", "sns", "plivo",
     "nexmo", "fcm", "apns", "expo", "one-signal", "slack", "discord", "msteams", "mattermost", "telegram", "novu"}
)  # fmt: skip


def step_type(value: str) -> StepType:
    return _STEP_TYPES.get(value, "custom")


def novu_provider(provider_id: str | None) -> str:
    if provider_id is None:
        return "novu"
    return provider_id if provider_id in _NOVU_PROVIDERS else _PROVIDERS.get(provider_id, "novu")


def _raw(raw: Any) -> str | None:
    # Novu's ``raw`` is a string (the provider's response as text); the store keeps JSON.
    return raw if raw is None or isinstance(raw, str) else json.dumps(raw)


class _Dto(NovuResponse):
    model_config = ConfigDict(populate_by_name=True)


class TriggerVariableDto(_Dto):
    name: str


class TriggerDto(_Dto):
    type: Literal["event"] = "event"
    identifier: str
    variables: list[TriggerVariableDto] = Field(default_factory=list)


class TemplateDto(_Dto):
    id: str | None = Field(default=None, alias="_id")
    name: str
    triggers: list[TriggerDto]


class SubscriberDto(_Dto):
    id: str = Field(alias="_id")
    subscriber_id: str = Field(alias="subscriberId")
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    email: str | None = None
    phone: str | None = None


class StepDto(_Dto):
    id: str = Field(alias="_id")
    template_id: str = Field(alias="_templateId")
    active: bool
    filters: list[dict[str, Any]] = Field(default_factory=list)
    name: str | None = None


class ExecutionDetailDto(_Dto):
    id: str = Field(alias="_id")
    job_id: str = Field(alias="_jobId")
    status: DetailStatus
    detail: str
    is_retry: bool = Field(alias="isRetry")
    is_test: bool = Field(alias="isTest")
    provider_id: str = Field(alias="providerId", description="Novu provider id (ProvidersIDEnum)")
    clarion_provider_id: str | None = Field(alias="clarionProviderId")
    source: DetailSource
    created_at: datetime = Field(alias="createdAt")
    raw: str | None
    trace_id: str | None = Field(alias="traceId", description="OpenTelemetry trace of this step (tracing on)")


class JobDto(_Dto):
    id: str = Field(alias="_id")
    type: StepType
    status: JobStatus
    provider_id: str = Field(alias="providerId", description="Novu provider id (ProvidersIDEnum)")
    clarion_provider_id: str | None = Field(alias="clarionProviderId")
    execution_details: list[ExecutionDetailDto] = Field(alias="executionDetails")
    step: StepDto
    payload: dict[str, Any]
    created_at: datetime = Field(alias="createdAt")
    updated_at: datetime = Field(alias="updatedAt")
    temporal_url: str = Field(alias="temporalUrl")


class NotificationDto(_Dto):
    id: str = Field(alias="_id")
    environment_id: str = Field(alias="_environmentId")
    organization_id: str = Field(alias="_organizationId")
    subscriber_id: str = Field(alias="_subscriberId", description="the subscriber's internal id")
    template_id: str | None = Field(alias="_templateId")
    transaction_id: str = Field(alias="transactionId")
    created_at: datetime = Field(alias="createdAt")
    updated_at: datetime = Field(alias="updatedAt")
    channels: list[StepType]
    subscriber: SubscriberDto | None
    template: TemplateDto
    jobs: list[JobDto]
    payload: dict[str, Any]
    tags: list[str]
    temporal_url: str = Field(alias="temporalUrl")
    trace_id: str | None = Field(alias="traceId", description="OpenTelemetry trace of the run (tracing on)")
    replay_of: str | None = Field(default=None, alias="replayOf", description="the transaction this one replays")


class ActivitiesResponse(_Dto):
    data: list[NotificationDto]
    page: int
    page_size: int = Field(alias="pageSize")
    has_more: bool = Field(alias="hasMore")
    total_count: int = Field(alias="totalCount")


class NotificationEnvelope(_Dto):
    data: NotificationDto


class ExecutionDetailsItemDto(_Dto):
    """Novu's ``ExecutionDetailsResponseDto`` (GET /v1/execution-details)."""

    id: str = Field(alias="_id")
    organization_id: str = Field(alias="_organizationId")
    environment_id: str = Field(alias="_environmentId")
    job_id: str = Field(alias="_jobId", description="empty for a detail of the whole notification")
    notification_id: str = Field(alias="_notificationId")
    notification_template_id: str = Field(alias="_notificationTemplateId")
    subscriber_id: str = Field(alias="_subscriberId")
    provider_id: str = Field(alias="providerId")
    clarion_provider_id: str | None = Field(alias="clarionProviderId")
    transaction_id: str = Field(alias="transactionId")
    channel: DetailChannel
    detail: str
    source: DetailSource
    status: DetailStatus
    is_test: bool = Field(alias="isTest")
    is_retry: bool = Field(alias="isRetry")
    created_at: datetime = Field(alias="createdAt")
    raw: str | None
    trace_id: str | None = Field(alias="traceId", description="OpenTelemetry trace of this step (tracing on)")


class ExecutionDetailsEnvelope(_Dto):
    data: list[ExecutionDetailsItemDto]


def _subscriber_ref(notification: Notification) -> str:
    # Novu's ``_subscriberId`` is the internal id; a deleted subscriber leaves only the caller's id.
    return str(notification.subscriber_pk) if notification.subscriber_pk else notification.subscriber_id


def _detail_fields(detail: ExecutionDetail, fallback_provider: str | None) -> dict[str, Any]:
    provider = detail.provider_id or fallback_provider
    return {
        "id": str(detail.id),
        "job_id": str(detail.job_id) if detail.job_id else "",
        "status": _DETAIL_STATUSES.get(detail.status.lower(), "Pending"),
        "detail": detail.detail,
        "is_retry": False,
        "is_test": False,
        "provider_id": novu_provider(provider),
        "clarion_provider_id": provider,
        "source": _DETAIL_SOURCES.get(detail.source.lower(), "Internal"),
        "created_at": detail.created_at,
        "raw": _raw(detail.raw),
        "trace_id": detail.trace_id,
    }


def _subscriber_dto(sub: Subscriber) -> SubscriberDto:
    return SubscriberDto(
        id=str(sub.id),
        subscriber_id=sub.subscriber_id,
        first_name=sub.first_name,
        last_name=sub.last_name,
        email=sub.email,
        phone=sub.phone,
    )


def _job_dto(view: JobView, steps: dict[str, dict[str, Any]], url: str, payload: dict[str, Any]) -> JobDto:
    job = view.job
    step = steps.get(job.step_id, {})
    return JobDto(
        id=str(job.id),
        type=step_type(job.step_type),
        status=_JOB_STATUSES.get(job.status.lower(), "pending"),
        provider_id=novu_provider(job.provider_id),
        clarion_provider_id=job.provider_id,
        execution_details=[ExecutionDetailDto(**_detail_fields(d, job.provider_id)) for d in view.details],
        step=StepDto(
            id=job.step_id, template_id=job.step_id, active=bool(step.get("active", True)), name=step.get("name")
        ),
        payload=payload,
        created_at=job.created_at,
        updated_at=job.updated_at,
        temporal_url=url,
    )


def notification_dto(view: NotificationView, *, organization_id: str, temporal: TemporalSettings) -> NotificationDto:
    n, workflow, sub = view.notification, view.workflow, view.subscriber
    url = run_url(temporal, view.run_id)
    steps = {str(s.get("id")): s for s in (workflow.steps if workflow else [])}
    return NotificationDto(
        id=str(n.id),
        environment_id=str(n.environment_id),
        organization_id=organization_id,
        subscriber_id=_subscriber_ref(n),
        template_id=str(n.workflow_id) if n.workflow_id else None,
        transaction_id=n.transaction_id,
        created_at=n.created_at,
        updated_at=n.updated_at,
        channels=list(dict.fromkeys(step_type(c) for c in n.channels)),
        subscriber=_subscriber_dto(sub) if sub else None,
        template=TemplateDto(
            id=str(n.workflow_id) if n.workflow_id else None,
            name=workflow.name if workflow else n.workflow_identifier,
            triggers=[TriggerDto(identifier=n.workflow_identifier)],
        ),
        jobs=[_job_dto(j, steps, url, n.payload) for j in view.jobs],
        payload=n.payload,
        tags=list(workflow.tags) if workflow else [],
        temporal_url=url,
        trace_id=next((d.trace_id for j in view.jobs for d in j.details if d.trace_id), None),
        replay_of=n.replay_of,
    )


def execution_detail_dto(
    detail: ExecutionDetail, *, notification: Notification, organization_id: str
) -> ExecutionDetailsItemDto:
    return ExecutionDetailsItemDto(
        **_detail_fields(detail, None),
        organization_id=organization_id,
        environment_id=str(notification.environment_id),
        notification_id=str(notification.id),
        notification_template_id=str(notification.workflow_id) if notification.workflow_id else "",
        subscriber_id=_subscriber_ref(notification),
        transaction_id=detail.transaction_id,
        # No channel means a detail of the trigger itself; Clarion-only channels (webhook) read as custom.
        channel=_DETAIL_CHANNELS.get(detail.channel, "custom") if detail.channel else "trigger",
    )
