"""``Annotated`` dependency aliases shared by every router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import KeyCache, Principal, resolve_principal, scope_checker
from api.operations.workflow_cache import WorkflowCache
from api.resources import Services
from core import log_context
from core.settings import Settings
from templates.renderer import TemplateRenderer


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.services.sessions() as session:
        yield session


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_temporal(request: Request) -> Client:
    services: Services = request.app.state.services
    return services.temporal


def get_renderer(request: Request) -> TemplateRenderer:
    renderer: TemplateRenderer = request.app.state.renderer
    return renderer


SessionDep = Annotated[AsyncSession, Depends(get_session)]
ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
RendererDep = Annotated[TemplateRenderer, Depends(get_renderer)]


async def authenticate(request: Request, session: SessionDep) -> Principal:
    cache: KeyCache = request.app.state.key_cache
    principal = await resolve_principal(request, session, cache)
    request.state.principal = principal
    log_context.bind(environmentId=str(principal.environment_id))
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticate)]
_require_all = scope_checker("*")


async def native_principal(principal: PrincipalDep) -> Principal:
    """Native (Novu-compatible) routes accept only keys holding ``*`` (event-apis.md §0.4)."""
    return await _require_all(principal)


NativeAuth = Annotated[Principal, Depends(native_principal)]


async def get_workflow_cache(request: Request) -> WorkflowCache:
    cache: WorkflowCache = request.app.state.workflow_cache
    return cache


# Routes that change workflow definitions drop this process's cached copies at once.
WorkflowCacheDep = Annotated[WorkflowCache, Depends(get_workflow_cache)]
