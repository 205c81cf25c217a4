"""``POST /v1/webhooks/providers/{integrationId}``: delivery events posted by email and SMS providers.

The provider authenticates the request in its own way (SendGrid ECDSA, SNS certificates, Svix,
Mailgun HMAC, Twilio HMAC-SHA1, Postmark basic auth), checked by ``channels.delivery_events``. An
authentic event moves the message's status forward, adds an execution detail (the activity
feed) and emits ``message.<event>`` to the lifecycle endpoints. Every refused request is recorded
in ``provider_events``: an unknown integration or message id answers 404 (the provider retries,
which also covers an event racing ahead of the send's own commit), a bad signature 401.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep, SettingsDep
from api.errors import BadRequest, NotFound, Unauthorized
from api.operations import delivery_events, lifecycle
from channels import ChannelRegistry
from channels.delivery_events import (
    DeliveryEvent,
    InboundRequest,
    ParseContext,
    PayloadError,
    SignatureError,
    parser_for,
)
from core.settings import Settings
from store import provider_events
from store.crypto import CredentialCipher
from store.models import Integration

router = APIRouter(prefix="/v1/webhooks/providers", tags=["webhooks"])


def _public_url(request: Request, settings: Settings) -> str:
    if not settings.api.public_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return settings.api.public_url.rstrip("/") + request.url.path + query


async def _refuse(session: AsyncSession, row: Integration | None, outcome: str, reason: str, body: bytes) -> None:
    await provider_events.record(session=session, values={
        "environment_id": row.environment_id if row else None, "integration_id": row.id if row else None,
        "provider_id": row.provider_id if row else None, "outcome": outcome, "reason": reason,
        "raw": {"body": body[:2000].decode("utf-8", "replace")},
    })
    await session.commit()


@router.post(
    "/{integrationId}", summary="Receive a provider's delivery events",
    responses={401: {"description": "Bad or missing provider signature"},
               404: {"description": "Unknown integration or provider message id (the provider retries)"}},
)
async def receive(
    request: Request, session: SessionDep, settings: SettingsDep,
    integration_id: Annotated[str, Path(alias="integrationId", description="The integration _id")],
) -> dict[str, Any]:
    """Verify, apply and acknowledge the delivery events of one provider request."""
    body = await request.body()
    row = await provider_events.integration(session=session, integration_id=integration_id)
    if row is None:
        await _refuse(session, None, "unknown_integration", f"no integration {integration_id!r}", body)
        raise NotFound("Integration not found")
    parser = parser_for(row.provider_id)
    registry: ChannelRegistry = request.app.state.channels
    if parser is None or row.provider_id not in registry:
        await _refuse(session, row, "unsupported", f"{row.provider_id} posts no delivery events", body)
        raise BadRequest(f"The {row.provider_id} provider posts no delivery events")
    cipher: CredentialCipher = request.app.state.cipher
    try:
        config = registry.get(row.provider_id).config_model.model_validate(cipher.open(row.credentials))
    except ValidationError as exc:
        await _refuse(session, row, "refused", f"the integration's credentials are invalid: {exc}", body)
        raise Unauthorized("The integration's credentials cannot verify this request") from exc
    certificates: dict[str, bytes] = request.app.state.__dict__.setdefault("sns_certificates", {})
    inbound = InboundRequest(url=_public_url(request, settings),
                             headers={k.lower(): v for k, v in request.headers.items()}, body=body)
    try:
        parsed = await parser(inbound, config, ParseContext(sns_url_pattern=settings.webhooks.sns_url_pattern,
                                                            certificates=certificates))
    except SignatureError as exc:
        await _refuse(session, row, "refused", str(exc), body)
        raise Unauthorized(f"Refused: {exc}") from exc
    except PayloadError as exc:
        await _refuse(session, row, "invalid", str(exc), body)
        raise BadRequest(f"Invalid {row.provider_id} event: {exc}", field_errors={"body": str(exc)}) from exc
    return await _apply(session, request, row, parsed.events, ignored=parsed.ignored, note=parsed.note)


async def _apply(session: AsyncSession, request: Request, row: Integration,
                 events: list[DeliveryEvent], *, ignored: int, note: str | None) -> dict[str, Any]:
    applied = duplicates = 0
    unknown: list[str] = []
    emitted: list[lifecycle.LifecycleEvent] = []
    for event in events:
        message = await provider_events.message_for(
            session=session, environment_id=row.environment_id, provider_message_ids=event.message_ids
        )
        if message is None:
            # No dedupe id: when the provider retries after the send's commit, the event applies then.
            await provider_events.record(session=session, values={
                "environment_id": row.environment_id, "integration_id": row.id, "provider_id": row.provider_id,
                "provider_message_id": event.message_ids[0], "event": event.event, "occurred_at": event.occurred_at,
                "raw": event.raw, "outcome": "unknown_message", "reason": "no message has this provider message id"})
            unknown.append(event.message_ids[0])
            continue
        fresh, lifecycle_event = await delivery_events.apply_event(
            session, message=message, event=event, environment_id=row.environment_id, integration_id=row.id,
            provider_id=row.provider_id)
        applied, duplicates = applied + fresh, duplicates + (not fresh)
        emitted.append(lifecycle_event)
    await lifecycle.record(session=session, environment_id=row.environment_id, events=emitted)
    await session.commit()
    await lifecycle.start_committed(request, session)
    if unknown:
        raise NotFound(f"Unknown provider message id(s): {', '.join(unknown[:10])}",
                       extra={"applied": applied, "unknownMessageIds": unknown})
    return {"data": {"received": len(events) + ignored, "applied": applied, "duplicates": duplicates,
                     "ignored": ignored, **({"note": note} if note else {})}}
