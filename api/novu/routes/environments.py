"""Novu's environment routes: ``GET /v1/environments`` (the caller's project) and ``/v1/environments/me``."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field

from api.deps import NativeAuth, SessionDep
from api.errors import NotFound
from api.novu.schemas.base import NovuResponse
from store import tenancy
from store.models import Environment

router = APIRouter(prefix="/v1/environments", tags=["environments"])


class EnvironmentDto(NovuResponse):
    id: str = Field(alias="_id")
    name: str
    identifier: str
    slug: str
    type: Literal["dev", "prod"] | None = None
    organization_id: str = Field(alias="_organizationId")
    project_id: str = Field(alias="_projectId")


class EnvironmentEnvelope(NovuResponse):
    data: EnvironmentDto


class EnvironmentListEnvelope(NovuResponse):
    data: list[EnvironmentDto]


# Novu types its two built-in environments; Clarion's seeded ones carry the same slugs.
_TYPES: dict[str, Literal["dev", "prod"]] = {"development": "dev", "production": "prod"}


def _dto(env: Environment) -> EnvironmentDto:
    kind = _TYPES.get(env.slug)
    return EnvironmentDto.model_validate({
        "_id": str(env.id), "name": env.name, "identifier": env.slug, "slug": env.slug, "type": kind,
        "_organizationId": str(env.organization_id), "_projectId": str(env.project_id),
    })


@router.get("", response_model=EnvironmentListEnvelope, response_model_by_alias=True)
async def list_environments(principal: NativeAuth, session: SessionDep) -> Any:
    """The environments of the caller's project (Novu lists its organization's), oldest first."""
    env = await tenancy.get_environment(session=session, environment_id=principal.environment_id)
    if env is None:
        raise NotFound("Environment not found")
    rows = await tenancy.environments_within(
        session=session, organization_id=env.organization_id, project_id=env.project_id, environment_id=None
    )
    return EnvironmentListEnvelope(data=[_dto(row) for row in rows])


@router.get("/me", response_model=EnvironmentEnvelope, response_model_by_alias=True)
async def current_environment(principal: NativeAuth, session: SessionDep) -> Any:
    """The environment the API key belongs to."""
    env = await tenancy.get_environment(session=session, environment_id=principal.environment_id)
    if env is None:
        raise NotFound("Environment not found")
    return EnvironmentEnvelope(data=_dto(env))
