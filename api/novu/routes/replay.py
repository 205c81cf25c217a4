"""Replay a past transaction, and list a workflow's saved versions (what ``definition: original`` uses)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path

from api.deps import NativeAuth, SessionDep, SettingsDep, TemporalDep
from api.errors import NotFound
from api.novu.replay_planning import start_replay
from api.novu.routes.events import TriggersDep
from api.novu.schemas.replay import ReplayBody, ReplayEnvelope, WorkflowVersionDto, WorkflowVersionsEnvelope
from store import workflow_versions
from store import workflows as workflow_store

router = APIRouter()


@router.post("/v1/events/trigger/{transactionId}/replay", response_model=ReplayEnvelope, status_code=201,
             tags=["events"])
async def replay(
    transaction_id: Annotated[str, Path(alias="transactionId", max_length=255)],
    principal: NativeAuth, session: SessionDep, settings: SettingsDep, temporal: TemporalDep, triggers: TriggersDep,
    body: Annotated[ReplayBody | None, Body()] = None,
) -> Any:
    """Trigger the original event of a past transaction again as a new transaction (linked to it both
    ways: ``replayOf`` in the activity feed, the ``ReplayOf`` search attribute, ``replays`` in its
    explanation), against the current workflow or, with ``definition: original``, the version it used."""
    answer = await start_replay(
        session=session, client=temporal, cache=triggers.cache, temporal=settings.temporal,
        environment_id=principal.environment_id, transaction_id=transaction_id, body=body or ReplayBody(),
    )
    return ReplayEnvelope(data=answer)


@router.get("/v2/workflows/{workflowId}/versions", response_model=WorkflowVersionsEnvelope, tags=["workflows"])
async def list_workflow_versions(
    workflow_id: Annotated[str, Path(alias="workflowId")], principal: NativeAuth, session: SessionDep,
) -> Any:
    """Every saved version of a workflow's definition, newest first (a save that changed nothing adds none)."""
    row = await workflow_store.get(session=session, environment_id=principal.environment_id, key=workflow_id)
    if row is None:
        raise NotFound(f"Workflow {workflow_id!r} not found")
    found = await workflow_versions.list_versions(session=session, environment_id=principal.environment_id,
                                                  workflow_id=row.id)
    return WorkflowVersionsEnvelope(data=[
        WorkflowVersionDto(version=v.version, current=i == 0, created_at=v.created_at, definition=v.definition)
        for i, v in enumerate(found)
    ])
