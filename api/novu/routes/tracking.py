"""Email open and click tracking (Clarion's own, opt-in per environment).

``/v1/t/o/{token}`` is the 1x1 pixel of a tracked email, ``/v1/t/c/{token}`` one of its links: a
genuine token records ``opened``/``clicked`` for its message through the same path as providers'
delivery events (``api.operations.delivery_events``: dedupe, forward-only status, feed detail,
``message.opened``/``message.clicked`` lifecycle events), then answers the GIF or a 302 to the URL
signed into the token. Any other token is a 404 and redirects nowhere. ``/v1/email-tracking``
switches tracking for the API key's environment.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import NativeAuth, SessionDep, SettingsDep
from api.errors import NotFound
from api.operations import delivery_events, lifecycle
from channels.delivery_events import DeliveryEvent
from core import tracking_tokens
from store import email_tracking

PROVIDER_ID = "clarion_tracking"
_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_NO_STORE = {"Cache-Control": "no-store, private", "Pragma": "no-cache"}

router = APIRouter(tags=["email tracking"])
Token = Annotated[str, Path(description="The token of a tracked email's pixel or link", max_length=8000)]


class TrackingDto(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    opens: bool = Field(False, description="Add a 1x1 pixel to HTML email and record opens.")
    clicks: bool = Field(False, description="Send HTML email's http(s) links through Clarion and record clicks.")


class TrackingResponse(BaseModel):
    data: TrackingDto


async def _record(request: Request, session: Any, hit: tracking_tokens.Hit, event: str) -> None:
    env = uuid.UUID(hit.environment_id)
    message = await email_tracking.message_by_key(session=session, environment_id=env, key=hit.key)
    if message is None:
        return  # retention removed it; the reader still gets the image or the page
    # One open per message; one click per message and link (a reader's repeat clicks are duplicates).
    link = hashlib.sha256(hit.url.encode()).hexdigest()[:16] if hit.url else ""
    delivery = DeliveryEvent(
        message_ids=[message.provider_message_id or str(message.id)], event=event,
        occurred_at=datetime.now(UTC), event_id=f"{PROVIDER_ID}:{event}:{message.id}:{link}",
        url=hit.url or None, raw={"userAgent": request.headers.get("user-agent", "")[:300]},
    )
    _, emitted = await delivery_events.apply_event(session, message=message, event=delivery, environment_id=env,
                                                   integration_id=None, provider_id=PROVIDER_ID)
    await lifecycle.record(session=session, environment_id=env, events=[emitted])
    await session.commit()
    await lifecycle.start_committed(request, session)


def _hit(settings: Any, token: str, kind: tracking_tokens.Kind) -> tracking_tokens.Hit:
    hit = tracking_tokens.read(settings.secret_key.get_secret_value(), token, kind)
    if hit is None:
        raise NotFound("This tracking link is not valid")
    return hit


@router.get("/v1/t/o/{token}", summary="A tracked email's open pixel", response_class=Response,
            responses={200: {"content": {"image/gif": {}}, "description": "A 1x1 transparent GIF"},
                       404: {"description": "Not a genuine tracking token"}})
async def opened(token: Token, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Record that the email was opened and answer a transparent 1x1 GIF."""
    await _record(request, session, _hit(settings, token, "o"), "opened")
    return Response(_GIF, media_type="image/gif", headers=_NO_STORE)


@router.get("/v1/t/c/{token}", summary="A tracked email's link", response_class=RedirectResponse,
            status_code=302, responses={302: {"description": "To the URL the email linked"},
                                        404: {"description": "Not a genuine tracking token"}})
async def clicked(token: Token, request: Request, session: SessionDep, settings: SettingsDep) -> RedirectResponse:
    """Record the click and redirect to the link's original URL, which only a genuine token carries."""
    hit = _hit(settings, token, "c")
    await _record(request, session, hit, "clicked")
    return RedirectResponse(hit.url, status_code=302, headers=_NO_STORE)


@router.get("/v1/email-tracking", summary="Get the environment's email open/click tracking",
            response_model=TrackingResponse)
async def get_tracking(principal: NativeAuth, session: SessionDep) -> dict[str, Any]:
    found = await email_tracking.get(session=session, environment_id=principal.environment_id)
    return {"data": {"opens": found.opens, "clicks": found.clicks}}


@router.put("/v1/email-tracking", summary="Switch the environment's email open/click tracking",
            response_model=TrackingResponse)
async def put_tracking(body: TrackingDto, principal: NativeAuth, session: SessionDep) -> dict[str, Any]:
    """Applies to emails rendered from now on; HTML parts only (text parts are left as they are)."""
    await email_tracking.put(session=session, environment_id=principal.environment_id,
                             tracking=email_tracking.Tracking(opens=body.opens, clicks=body.clicks))
    await session.commit()
    return {"data": {"opens": body.opens, "clicks": body.clicks}}
