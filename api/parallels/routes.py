"""Parallels' Events Hub (event-apis.md §3): the WebSocket handshake, unsubscribe, clients and stats."""

from __future__ import annotations

import logging
from typing import Any, cast

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import JSONResponse

from api.auth import KeyCache, Principal, credential_from, resolve_principal
from api.deps import PrincipalDep
from api.error_handlers import render_error
from api.errors import ApiError, BadRequest, Conflict, Forbidden, ServiceUnavailable
from api.json_body import JsonBodyError, parse_json
from api.parallels.hub import Hub, catalogue
from api.parallels.hub.client import HubClient
from api.parallels.hub.socket import serve
from store import workflows as workflow_store

log = logging.getLogger("clarion.hub")
router = APIRouter(tags=["parallels"])
SUBSCRIBE = "/api/v1/ws/subscribe"
# Close codes used when the server cannot send an HTTP refusal before the upgrade.
_CLOSE_FOR = {400: 4000, 401: 4001, 403: 4003, 409: 4009, 503: 1013}


def _hub(app_state: Any) -> Hub:
    hub: Hub = app_state.services.hub
    return hub


@router.get(SUBSCRIBE, include_in_schema=False)
@router.get(SUBSCRIBE + "/", include_in_schema=False)
async def subscribe_without_upgrade() -> None:
    """A plain GET is not a WebSocket upgrade."""
    raise BadRequest("expected a WebSocket upgrade request")


@router.websocket(SUBSCRIBE)
@router.websocket(SUBSCRIBE + "/")
async def subscribe(websocket: WebSocket) -> None:
    """Upgrade to a WebSocket carrying the requested event types (credentials checked first)."""
    hub = _hub(websocket.app.state)
    try:
        client, ignored = await _handshake(websocket, hub)
    except ApiError as exc:
        await _refuse(websocket, exc)
        return
    except Exception:  # never a 500: the store or the bus failed during the handshake
        log.exception("WebSocket handshake failed")
        await _refuse(websocket, ServiceUnavailable("the events hub is not available; retry later"))
        return
    await serve(websocket, hub, client, ignored)


async def _handshake(websocket: WebSocket, hub: Hub) -> tuple[HubClient, list[str]]:
    request = cast(Request, websocket)  # auth reads only the headers, which a socket has too
    raw = websocket.query_params.get("access_token") or credential_from(request)
    cache: KeyCache = websocket.app.state.key_cache
    async with hub.sessions() as session:
        principal = await resolve_principal(request, session, cache, raw=raw)
        if principal.kind == "group" or (principal.kind == "key" and not principal.allows("ws:subscribe")):
            raise Forbidden("This credential may not open a socket (it needs the 'ws:subscribe' scope)")
        names = await workflow_store.identifiers(session=session, environment_id=principal.environment_id)
        env_types = frozenset(n.lower() for n in names)
    settings = hub.settings
    if hub.count_for(principal.key_id) >= settings.max_connections_per_credential:
        raise Conflict("too many connections for this credential")
    if not hub.ready:
        raise ServiceUnavailable("the events hub is not available; retry later")
    wanted = catalogue.requested(websocket.query_params.getlist("event_types"))
    subscriber = principal.kind == "subscriber"
    subscriptions, ignored = catalogue.choose(wanted, subscriber=subscriber, env_types=env_types)
    client = HubClient(
        environment_id=principal.environment_id, owner=principal.owner, username=principal.name,
        credential=principal.key_id, kind=principal.kind, subscriber_id=principal.subscriber_id,
        subscriptions=subscriptions, queue_size=settings.queue_size,
    )
    return client, ignored


async def _refuse(websocket: WebSocket, exc: ApiError) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        response = render_error(cast(Request, websocket), exc.status_code, exc.message, exc.field_errors, exc)
        await websocket.send_denial_response(response)
        return
    await websocket.accept()
    await websocket.close(_CLOSE_FOR.get(exc.status_code, 4000))


def _may_use_sockets(principal: Principal) -> bool:
    return principal.kind == "subscriber" or (principal.kind == "key" and principal.allows("ws:subscribe"))


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = parse_json(raw) if raw.strip() else {}
    except JsonBodyError as exc:
        message = f"Malformed JSON in the request body: it {exc.reason}"
        raise BadRequest(message, field_errors={"body": exc.reason}) from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


@router.post("/api/v1/ws/unsubscribe")
@router.post("/api/v1/ws/unsubscribe/", include_in_schema=False)
async def unsubscribe(request: Request, principal: PrincipalDep) -> JSONResponse:
    """Remove event types from a live socket of the caller's own (any node)."""
    if not _may_use_sockets(principal):
        raise Forbidden("This credential lacks the 'ws:subscribe' scope")
    body = await _body(request)
    client_id = body.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip():
        raise BadRequest("Invalid client_id body parameter")
    raw_types = body.get("event_types")
    if isinstance(raw_types, str):
        raw_types = [raw_types]
    if not isinstance(raw_types, list) or not all(isinstance(t, str) for t in raw_types):
        raise BadRequest("Invalid event_types body parameter")
    types = catalogue.requested(raw_types)
    if not types:
        raise BadRequest("Invalid event_types body parameter")
    types = [t for t in types if catalogue.well_formed(t)]
    if not types:
        raise BadRequest("no valid event types")
    hub = _hub(request.app.state)
    found = await hub.find(client_id.strip())
    if found is None or found[0] != principal.environment_id:
        raise BadRequest(f"client {client_id} does not exist")
    _, owner, node, current = found
    if owner != principal.owner:
        raise Forbidden(f"client {client_id} does not belong to the authenticated user")
    removed = [t for t in types if t != catalogue.GLOBAL]
    remaining = [s for s in current if s not in removed]
    await hub.unsubscribe(client_id, node, removed, remaining)
    message = f"unsubscribed from: {','.join(removed)}"
    if catalogue.GLOBAL in types:
        message = f"cannot unsubscribe from global event type {message}"
    return JSONResponse({"code": 200, "message": message, "client_id": client_id, "unsubscribed": removed,
                         "subscriptions": remaining})


@router.get("/api/v1/ws/clients")
@router.get("/api/v1/ws/clients/", include_in_schema=False)
async def clients(request: Request, principal: PrincipalDep) -> JSONResponse:
    """The environment's sockets: all of them for ``ws:admin``, else the caller's own."""
    everything = principal.kind == "key" and principal.allows("ws:admin")
    if not everything and not _may_use_sockets(principal):
        raise Forbidden("This credential lacks the 'ws:subscribe' scope")
    listing = await _hub(request.app.state).listing(principal.environment_id)
    if not everything:
        listing = [c for c in listing if c["user_id"] == principal.owner]
    return JSONResponse(listing)


@router.get("/api/v1/ws/stats")
@router.get("/api/v1/ws/stats/", include_in_schema=False)
async def stats(request: Request, principal: PrincipalDep) -> JSONResponse:
    """Hub statistics for the environment over every live node."""
    if not (principal.kind == "key" and principal.allows("ws:admin")):
        raise Forbidden("This key lacks the 'ws:admin' scope")
    return JSONResponse(await _hub(request.app.state).stats(principal.environment_id))
