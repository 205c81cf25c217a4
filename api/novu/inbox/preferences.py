"""``/v1/inbox/preferences``: the session subscriber's global and per-workflow switches, and its delivery schedule."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep
from api.errors import BadRequest
from api.novu.inbox.auth import InboxCaller, InboxReader
from api.novu.inbox.schemas import Severity, severity_of
from api.novu.views.preferences import Rows, overrides, refuse_if_locked, rows_of, workflow_or_404
from api.operations.lifecycle import EmitCommitted
from core import preferences as preference_rule
from store import inbox_sessions
from store import preferences as preference_store
from store.models import NotificationWorkflow

router = APIRouter(prefix="/v1/inbox/preferences", tags=["session-inbox"], dependencies=[EmitCommitted])
CHANNELS = ("email", "sms", "in_app", "chat", "push")


class _Dto(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class Channels(_Dto):
    email: bool | None = None
    sms: bool | None = None
    in_app: bool | None = None
    chat: bool | None = None
    push: bool | None = None

    def switches(self) -> dict[str, bool]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class TimeRange(_Dto):
    start: str = Field(max_length=16)
    end: str = Field(max_length=16)


class DaySchedule(_Dto):
    is_enabled: bool = Field(alias="isEnabled")
    hours: list[TimeRange] | None = Field(default=None, max_length=24)


class ScheduleDto(_Dto):
    is_enabled: bool = Field(alias="isEnabled")
    weekly_schedule: dict[Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
                          DaySchedule] | None = Field(default=None, alias="weeklySchedule")  # fmt: skip


class GlobalPatch(Channels):
    schedule: ScheduleDto | None = None


class BulkItem(Channels):
    workflow_id: str = Field(alias="workflowId", min_length=1, max_length=255)


class BulkBody(_Dto):
    preferences: list[BulkItem] = Field(min_length=1, max_length=100)


class WorkflowDto(_Dto):
    id: str
    identifier: str
    name: str
    critical: bool
    tags: list[str]
    severity: Severity


class OverrideDto(_Dto):
    channel: str
    source: str


class PreferenceDto(_Dto):
    level: Literal["global", "template"]
    enabled: bool
    channels: dict[str, bool]
    overrides: list[OverrideDto] | None = None
    workflow: WorkflowDto | None = None
    schedule: ScheduleDto | None = None


class PreferenceEnvelope(_Dto):
    data: PreferenceDto


class PreferencesEnvelope(_Dto):
    data: list[PreferenceDto]


_OUT: dict[str, Any] = {"response_model_by_alias": True, "response_model_exclude_none": True}


def _workflow_item(workflow: NotificationWorkflow, rows: Rows) -> PreferenceDto:
    resolved = rows.resolve(workflow, preference_rule.step_channels(workflow))
    return PreferenceDto(
        level="template", enabled=resolved.enabled, channels=resolved.channels,
        overrides=[OverrideDto(channel=o.channel, source=o.source) for o in overrides(resolved)],
        workflow=WorkflowDto(id=str(workflow.id), identifier=workflow.identifier, name=workflow.name,
                             critical=preference_rule.locked(workflow), tags=list(workflow.tags or []),
                             severity=severity_of(workflow)),
    )  # fmt: skip


async def _global_item(session: AsyncSession, caller: InboxCaller) -> PreferenceDto:
    rows = await rows_of(session, caller.principal, caller.subscriber)
    enabled, channels = preference_rule.resolve_global(rows.global_row)
    schedule = rows.global_row.schedule if rows.global_row is not None else None
    return PreferenceDto(level="global", enabled=enabled, channels=channels,
                         schedule=ScheduleDto.model_validate(schedule) if schedule else None)  # fmt: skip


def _wanted(workflow: NotificationWorkflow, criticality: str, tags: list[str], severities: list[str]) -> bool:
    if criticality != "all" and preference_rule.locked(workflow) != (criticality == "critical"):
        return False
    if tags and not set(tags) & set(workflow.tags or []):
        return False
    return not severities or severity_of(workflow) in severities


@router.get("", response_model=PreferencesEnvelope, **_OUT)
async def list_preferences(
    request: Request,
    caller: InboxReader,
    session: SessionDep,
    criticality: Annotated[Literal["critical", "nonCritical", "all"], Query()] = "nonCritical",
) -> Any:
    """The global preference, then each active workflow's, narrowed by ``tags[]``, ``severity`` and criticality."""
    tags = request.query_params.getlist("tags[]")
    severities = request.query_params.getlist("severity[]") + request.query_params.getlist("severity")
    rows = await rows_of(session, caller.principal, caller.subscriber)
    workflows = await preference_store.listed_workflows(session=session, environment_id=caller.principal.environment_id)
    items = [_workflow_item(w, rows) for w in workflows if _wanted(w, criticality, tags, severities)]
    return PreferencesEnvelope(data=[await _global_item(session, caller), *items])


@router.get("/global", response_model=PreferenceEnvelope, **_OUT)
async def global_preference(caller: InboxReader, session: SessionDep) -> Any:
    """The global switches and the delivery schedule."""
    return PreferenceEnvelope(data=await _global_item(session, caller))


@router.patch("", response_model=PreferenceEnvelope, **_OUT)
async def update_global(body: GlobalPatch, caller: InboxReader, session: SessionDep) -> Any:
    """Switch global channels, or set the delivery schedule (stored and shown; Clarion does not yet enforce it)."""
    env, pk = caller.principal.environment_id, caller.subscriber.id
    await preference_store.upsert(session=session, environment_id=env, subscriber_pk=pk, workflow_id=None,
                                  channels=body.switches() or None)  # fmt: skip
    if body.schedule is not None:
        schedule = body.schedule.model_dump(by_alias=True, exclude_none=True)
        await inbox_sessions.set_schedule(session=session, environment_id=env, subscriber_pk=pk, schedule=schedule)
    await session.commit()
    return PreferenceEnvelope(data=await _global_item(session, caller))


@router.patch("/bulk", response_model=PreferencesEnvelope, **_OUT)
async def update_bulk(body: BulkBody, caller: InboxReader, session: SessionDep) -> Any:
    """Switch channels of up to 100 workflows; nothing changes unless every item is allowed."""
    flows = []
    for index, item in enumerate(body.preferences):
        workflow = await workflow_or_404(session, caller.principal, item.workflow_id)
        refuse_if_locked(workflow, f"preferences.{index}.workflowId")
        flows.append(workflow)
    for workflow, item in zip(flows, body.preferences, strict=True):
        await preference_store.upsert(session=session, environment_id=caller.principal.environment_id,
                                      subscriber_pk=caller.subscriber.id, workflow_id=workflow.id,
                                      channels=item.switches())  # fmt: skip
    await session.commit()
    rows = await rows_of(session, caller.principal, caller.subscriber)
    return PreferencesEnvelope(data=[_workflow_item(w, rows) for w in flows])


@router.patch("/{workflowId}", response_model=PreferenceEnvelope, **_OUT)
async def update_workflow(
    workflow_id: Annotated[str, Path(alias="workflowId", description="identifier or id")],
    body: Channels,
    caller: InboxReader,
    session: SessionDep,
) -> Any:
    """Switch channels of one workflow (critical and read-only workflows refuse)."""
    workflow = await workflow_or_404(session, caller.principal, workflow_id)
    refuse_if_locked(workflow, "workflowId")
    if not body.switches():
        raise BadRequest("No channel to change", field_errors={"channels": f"give one of {', '.join(CHANNELS)}"})
    await preference_store.upsert(session=session, environment_id=caller.principal.environment_id,
                                  subscriber_pk=caller.subscriber.id, workflow_id=workflow.id,
                                  channels=body.switches())  # fmt: skip
    await session.commit()
    rows = await rows_of(session, caller.principal, caller.subscriber)
    return PreferenceEnvelope(data=_workflow_item(workflow, rows))
