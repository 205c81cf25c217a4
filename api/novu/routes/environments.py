"""The caller's own environment (Novu's ``GET /v1/environments/me``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from api.deps import NativeAuth, SessionDep
from api.errors import NotFound
from api.novu.schemas.base import NovuResponse
from store import tenancy

router = APIRouter(prefix="/v1/environments", tags=["environments"])


class EnvironmentDto(NovuResponse):
    id: str = Field(alias="_id")
    name: str
    identifier: str
    organization_id: str = Field(alias="_organizationId")
    project_id: str = Field(alias="_projectId")


class EnvironmentEnvelope(NovuResponse):
    data: EnvironmentDto


@router.get("/me", response_model=EnvironmentEnvelope, response_model_by_alias=True)
async def current_environment(principal: NativeAuth, session: SessionDep) -> Any:
    """The environment the API key belongs to."""
    env = await tenancy.get_environment(session=session, environment_id=principal.environment_id)
    if env is None:
        raise NotFound("Environment not found")
    dto = EnvironmentDto.model_validate({
        "_id": str(env.id), "name": env.name, "identifier": env.slug,
        "_organizationId": str(env.organization_id), "_projectId": str(env.project_id),
    })
    return EnvironmentEnvelope(data=dto)
