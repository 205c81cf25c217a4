"""Who calls ``/v1/inbox/*``: a subscriber session token (``Bearer sst_…``), acting on that subscriber's inbox only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from api.auth import KeyCache, Principal, credential_from, resolve_principal
from api.cors import origin_allowed
from api.deps import SessionDep
from api.errors import Forbidden, NotFound, Unauthorized
from api.novu.live_inbox import inbox_changes
from core.settings import Settings
from store import session_tokens, subscribers, tenancy
from store.models import Environment, Subscriber


def check_origin(request: Request, env: Environment) -> None:
    """A browser on an origin the environment does not allow is refused (the preflight allowed any known one)."""
    origin = request.headers.get("origin")
    if not origin:
        return
    settings: Settings = request.app.state.settings
    if not origin_allowed(origin, [*settings.default_cors_origins, *(env.cors_origins or [])]):
        raise Forbidden(f"Origin {origin} is not allowed for this environment")


@dataclass(frozen=True)
class InboxCaller:
    principal: Principal
    subscriber: Subscriber


async def _caller(request: Request, session: SessionDep) -> InboxCaller:
    raw = credential_from(request)
    if not raw or not raw.startswith(session_tokens.SUBSCRIBER_PREFIX):
        raise Unauthorized("Inbox routes take the subscriber session token of POST /v1/inbox/session as Bearer")
    cache: KeyCache = request.app.state.key_cache
    principal = await resolve_principal(request, session, cache, raw)
    request.state.principal = principal
    env = await tenancy.get_environment(session=session, environment_id=principal.environment_id)
    if env is None or principal.subscriber_id is None:
        raise Unauthorized("Session token not found, expired or revoked")
    check_origin(request, env)
    found = await subscribers.get(session=session, environment_id=env.id, subscriber_id=principal.subscriber_id)
    if found is None:
        raise NotFound(f"Subscriber {principal.subscriber_id} not found")
    return InboxCaller(principal, found)


async def _writer(
    request: Request, session: SessionDep, caller: Annotated[InboxCaller, Depends(_caller)]
) -> AsyncIterator[InboxCaller]:
    # Publishes read/seen/archived and count changes once the route has committed (api/novu/live_inbox.py).
    async with inbox_changes(request, session, caller.principal.environment_id, caller.subscriber):
        yield caller


InboxReader = Annotated[InboxCaller, Depends(_caller)]
InboxWriter = Annotated[InboxCaller, Depends(_writer)]
