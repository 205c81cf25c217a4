"""The caller's environments (Novu's ``GET /v1/environments`` and ``/me``) and their Inbox settings."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import NativeAuth, SessionDep
from api.errors import NotFound
from api.novu.schemas.base import NovuResponse
from store import inbox_sessions, tenancy
from store.models import Environment

router = APIRouter(prefix="/v1/environments", tags=["environments"])


class EnvironmentDto(NovuResponse):
    id: str = Field(alias="_id")
    name: str
    identifier: str = Field(description="the environment's slug")
    slug: str
    type: Literal["dev", "prod"] | None = None
    organization_id: str = Field(alias="_organizationId")
    project_id: str = Field(alias="_projectId")
    application_identifier: str = Field(alias="applicationIdentifier", description="what <Inbox /> is given")
    inbox_hmac: bool = Field(alias="inboxHmac", description="whether a session needs subscriberHash")
    cors_origins: list[str] = Field(alias="corsOrigins", description="browser origins allowed besides the defaults")


class EnvironmentEnvelope(NovuResponse):
    data: EnvironmentDto


class EnvironmentsEnvelope(NovuResponse):
    data: list[EnvironmentDto]


class UpdateEnvironmentDto(BaseModel):
    """Only the fields sent change; ``null`` puts a setting back to its default."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    inbox_hmac: bool | None = Field(default=None, alias="inboxHmac")
    cors_origins: list[Annotated[str, Field(min_length=1, max_length=300)]] | None = Field(
        default=None, alias="corsOrigins", max_length=100
    )

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str] | None) -> list[str] | None:
        for origin in value or []:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"{origin!r} is not an origin (scheme://host[:port]) or *")
        return value


# Novu types its two built-in environments; Clarion's seeded ones carry the same slugs.
_TYPES: dict[str, Literal["dev", "prod"]] = {"development": "dev", "production": "prod"}


async def _dto(session: AsyncSession, env: Environment) -> EnvironmentDto:
    return EnvironmentDto.model_validate({
        "_id": str(env.id), "name": env.name, "identifier": env.slug, "slug": env.slug, "type": _TYPES.get(env.slug),
        "_organizationId": str(env.organization_id), "_projectId": str(env.project_id),
        "applicationIdentifier": await inbox_sessions.application_identifier(session=session, env=env),
        "inboxHmac": inbox_sessions.hmac_required(env), "corsOrigins": list(env.cors_origins or []),
    })  # fmt: skip


async def _own(session: AsyncSession, principal: Principal, environment_id: uuid.UUID) -> Environment:
    # A key reaches only its own environment: any other id answers alike, so existence is not revealed.
    env = await tenancy.get_environment(session=session, environment_id=environment_id)
    if env is None or env.id != principal.environment_id:
        raise NotFound("Environment not found")
    return env


@router.get("", response_model=EnvironmentsEnvelope, response_model_by_alias=True)
async def list_environments(principal: NativeAuth, session: SessionDep) -> Any:
    """The environments this key reaches (an environment key: its own), with their Inbox identifiers."""
    env = await _own(session, principal, principal.environment_id)
    data = [await _dto(session, env)]
    await session.commit()  # the identifier is issued on first use
    return EnvironmentsEnvelope(data=data)


@router.get("/me", response_model=EnvironmentEnvelope, response_model_by_alias=True)
async def current_environment(principal: NativeAuth, session: SessionDep) -> Any:
    """The environment the API key belongs to."""
    env = await _own(session, principal, principal.environment_id)
    dto = await _dto(session, env)
    await session.commit()
    return EnvironmentEnvelope(data=dto)


@router.put("/{environmentId}", response_model=EnvironmentEnvelope, response_model_by_alias=True)
async def update_environment(
    environment_id: Annotated[uuid.UUID, Path(alias="environmentId")],
    body: UpdateEnvironmentDto, principal: NativeAuth, session: SessionDep,
) -> Any:
    """Set the Inbox's HMAC mode (``inboxHmac``) and the browser origins allowed (``corsOrigins``)."""
    env = await _own(session, principal, environment_id)
    if "inbox_hmac" in body.model_fields_set:
        await inbox_sessions.set_inbox_hmac(session=session, env=env, hmac=body.inbox_hmac)
    if "cors_origins" in body.model_fields_set:
        await inbox_sessions.set_cors_origins(session=session, env=env, origins=body.cors_origins)
    dto = await _dto(session, env)
    await session.commit()
    return EnvironmentEnvelope(data=dto)
