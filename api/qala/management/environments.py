"""``/management/v1/environments``: the environments a key may use, and their publishing settings (§1.6)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep, SettingsDep
from api.errors import Forbidden, NotFound
from api.qala.http import both, optional_str, problem, read_json, read_object
from api.qala.management.common import own_key
from core import retention
from core.retention import RetentionPolicy
from core.settings import Settings
from store import tenancy
from store.models import ApiKey, Environment

router = APIRouter(prefix="/management/v1", tags=["management"])
KINDS = {"production": "Production", "prod": "Production", "development": "Development", "dev": "Development"}


def environment_type(env: Environment) -> str:
    return KINDS.get(env.slug.lower(), KINDS.get(env.name.lower(), "Other"))


async def usable(session: AsyncSession, key: ApiKey) -> list[Environment]:
    """Environments within the key's binding."""
    return await tenancy.environments_within(
        session=session, organization_id=key.organization_id, project_id=key.project_id,
        environment_id=key.environment_id,
    )


async def view(session: AsyncSession, env: Environment, settings: Settings) -> dict[str, Any]:
    project = await tenancy.get_project(session=session, project_id=env.project_id)
    org = await tenancy.get_organization(session=session, organization_id=env.organization_id)
    policy = RetentionPolicy.of(env.settings)
    return {
        "id": str(env.id), "name": env.name, "slug": env.slug, "projectId": str(env.project_id),
        "projectSlug": project.slug if project else None, "organizationId": str(env.organization_id),
        "organizationSlug": org.slug if org else None, "region": None, "environmentType": environment_type(env),
        "isSchemaValidationEnabled": bool(env.settings.get("isSchemaValidationEnabled", True)),
        "allowInsecureWebhooks": bool(env.settings.get("allowInsecureWebhooks", settings.mode == "dev")),
        # How long the activity feed and read inbox messages are kept (core/retention.py).
        "activityFeedRetentionDays": policy.activity_feed.days,
        "readMessageRetentionDays": policy.read_messages.days,
    }


async def _one(request: Request, session: AsyncSession, environment_id: str) -> Environment:
    key = await own_key(request, session)
    try:
        wanted = uuid.UUID(environment_id)
    except ValueError:
        raise problem("id", "The id is not a GUID.", "NOT_FOUND", NotFound) from None
    for env in await usable(session, key):
        if env.id == wanted:
            return env
    raise Forbidden("This environment is outside this key's binding")


@both(router, "GET", "/environments")
async def list_environments(request: Request, session: SessionDep, settings: SettingsDep) -> list[dict[str, Any]]:
    key = await own_key(request, session)
    return [await view(session, env, settings) for env in await usable(session, key)]


@both(router, "GET", "/environments/{environment_id}")
async def get_environment(environment_id: str, request: Request, session: SessionDep,
                          settings: SettingsDep) -> dict[str, Any]:
    return await view(session, await _one(request, session, environment_id), settings)


@both(router, "PUT", "/environments/{environment_id}")
async def update_environment(environment_id: str, request: Request, session: SessionDep,
                             settings: SettingsDep) -> dict[str, Any]:
    env = await _one(request, session, environment_id)
    body = read_object(await read_json(request))
    name = optional_str(body, "name", max_length=200)
    changed = dict(env.settings or {})
    for flag in ("isSchemaValidationEnabled", "allowInsecureWebhooks"):
        if flag in body:
            if not isinstance(body[flag], bool):
                raise problem(flag, f"The {flag} field must be a boolean.")
            changed[flag] = body[flag]
    for key in retention.KEYS:
        if key in body:
            if (why := retention.problem(key, body[key])) is not None:
                raise problem(key, why)
            changed[key] = body[key]
    if name:
        env.name = name
    env.settings = changed
    await session.commit()
    return await view(session, env, settings)
