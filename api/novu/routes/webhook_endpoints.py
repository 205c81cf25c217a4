"""``/v1/webhooks``: an environment's endpoints for Clarion's lifecycle events.

An endpoint is a webhook subscription without a topic, so it is sent by the one delivery engine
(Standard Webhooks signatures, retries with backoff, dead letters, replay, secret rotation).
Bodies are the envelope ``{id, type, timestamp, topic: "lifecycle", environmentId, data}``; the
``webhook-id`` header is stable across retries and replays of one event.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.deps import NativeAuth, SessionDep, SettingsDep, TemporalDep
from api.errors import BadRequest, Conflict, NotFound
from api.operations.publishing import Publisher
from channels.signing import generate_secret
from core.lifecycle_events import EMITTED, EVENT_TYPES, PAYLOAD_FIELDS
from core.publishing_payloads import DeliveryInput
from core.run_identity import WEBHOOK_DELIVERY_WORKFLOW
from core.settings import Settings
from store import lifecycle_endpoints, tenancy, webhooks
from store.base import utcnow
from store.crypto import CredentialCipher
from store.models import WebhookSubscription

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
EndpointId = Annotated[str, Path(alias="endpointId", description="The endpoint _id")]
MAX_OVERLAP = 604_800


class EndpointBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    url: str | None = Field(None, max_length=2048, description="Where events are POSTed (https:// outside dev mode).")
    description: str | None = Field(None, max_length=1000)
    event_types: list[str] | None = Field(None, alias="eventTypes", description="Empty or absent: every type.")
    enabled: bool | None = None
    max_attempts: int | None = Field(None, alias="maxAttempts", ge=1, le=10)


class RotateBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    secret: str | None = Field(None, description="A whsec_ secret of your own; generated when absent.")
    overlap_seconds: int = Field(86_400, alias="overlapSeconds", ge=0, le=MAX_OVERLAP,
                                 description="How long the previous secret keeps signing alongside the new one.")


def _stamp(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _view(row: WebhookSubscription) -> dict[str, Any]:
    return {"_id": str(row.id), "url": row.webhook_url, "description": row.description,
            "eventTypes": list(row.event_types or []), "enabled": row.enabled, "maxAttempts": row.max_attempts,
            "deadletterCount": row.deadletter_count, "createdAt": _stamp(row.created_at),
            "updatedAt": _stamp(row.updated_at)}


async def _insecure_ok(session: AsyncSession, env: uuid.UUID, settings: Settings) -> bool:
    row = await tenancy.get_environment(session=session, environment_id=env)
    return bool((row.settings if row else {}).get("allowInsecureWebhooks", settings.mode == "dev"))


def _apply(row: WebhookSubscription, body: EndpointBody, insecure_ok: bool) -> None:
    if body.url is not None:
        parts = urlsplit(body.url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise BadRequest("url must be an absolute https:// URL", field_errors={"url": "not an absolute URL"})
        if parts.scheme != "https" and not insecure_ok:
            raise BadRequest("url must use https:// in this environment", field_errors={"url": "must be https://"})
        row.webhook_url = body.url
        row.name = parts.hostname
    if body.event_types is not None:
        unknown = sorted(set(body.event_types) - set(EVENT_TYPES))
        if unknown:
            raise BadRequest(f"Unknown event types: {', '.join(unknown)}",
                             field_errors={"eventTypes": f"unknown: {', '.join(unknown)}"})
        row.event_types = list(dict.fromkeys(body.event_types))
    if body.description is not None:
        row.description = body.description
    if body.enabled is not None:
        row.enabled = body.enabled
    if body.max_attempts is not None:
        row.max_attempts = body.max_attempts


async def _load(session: AsyncSession, principal: NativeAuth, endpoint_id: str) -> WebhookSubscription:
    row = await lifecycle_endpoints.get(session=session, environment_id=principal.environment_id,
                                        endpoint_id=endpoint_id)
    if row is None:
        raise NotFound("Webhook endpoint not found")
    return row


@router.get("/event-types", summary="List the lifecycle event types")
async def event_types(principal: NativeAuth) -> dict[str, Any]:
    """Each type with the fields of its ``data``. A body is ``{id, type, timestamp, topic: "lifecycle",
    environmentId, data}``; ``id`` names the object and the change (``msg:{messageId}:{status}``,
    ``msg:{messageId}:{read|seen|archived}:{flagTime}``, ``run:{transactionId}:{outcome}``,
    ``sub:{subscriber _id}:created``, ``pref:{preference _id}:{updatedAt}``), so each change is sent once."""
    return {"data": [{"type": t, "emitted": t in EMITTED, "fields": PAYLOAD_FIELDS[t]} for t in EVENT_TYPES]}


@router.post("/endpoints", status_code=201, summary="Create a webhook endpoint")
async def create_endpoint(body: EndpointBody, request: Request, principal: NativeAuth, session: SessionDep,
                          settings: SettingsDep) -> dict[str, Any]:
    if body.url is None:
        raise BadRequest("url is required", field_errors={"url": "required"})
    cipher: CredentialCipher = request.app.state.cipher
    secret = generate_secret()
    row = WebhookSubscription(
        environment_id=principal.environment_id, topic_id=None, name="", event_types=[], max_attempts=5,
        enabled=True, deadletter_count=0, qflow_signature=False, payload_format="envelope",
        secrets=webhooks.seal_secrets(cipher, [webhooks.Secret(secret, utcnow())]),
    )
    _apply(row, body, await _insecure_ok(session, principal.environment_id, settings))
    await webhooks.add_subscription(session=session, subscription=row)
    await session.commit()
    return {"data": {**_view(row), "secret": secret}}


@router.get("/endpoints", summary="List webhook endpoints")
async def list_endpoints(principal: NativeAuth, session: SessionDep) -> dict[str, Any]:
    rows = await lifecycle_endpoints.list_all(session=session, environment_id=principal.environment_id)
    return {"data": [_view(r) for r in rows]}


@router.get("/endpoints/{endpointId}", summary="Get a webhook endpoint")
async def get_endpoint(endpoint_id: EndpointId, principal: NativeAuth, session: SessionDep) -> dict[str, Any]:
    return {"data": _view(await _load(session, principal, endpoint_id))}


@router.patch("/endpoints/{endpointId}", summary="Update a webhook endpoint")
async def update_endpoint(endpoint_id: EndpointId, body: EndpointBody, principal: NativeAuth, session: SessionDep,
                          settings: SettingsDep) -> dict[str, Any]:
    row = await _load(session, principal, endpoint_id)
    _apply(row, body, await _insecure_ok(session, principal.environment_id, settings))
    row.updated_at = utcnow()
    await session.commit()
    return {"data": _view(row)}


@router.delete("/endpoints/{endpointId}", status_code=204, summary="Delete a webhook endpoint")
async def delete_endpoint(endpoint_id: EndpointId, principal: NativeAuth, session: SessionDep,
                          temporal: TemporalDep) -> Response:
    row = await _load(session, principal, endpoint_id)
    for delivery in await webhooks.in_progress(session=session, subscription_ids=[row.id]):
        if delivery.workflow_id:  # the series would only find its endpoint gone
            with contextlib.suppress(RPCError):  # an ended workflow cannot be cancelled
                await temporal.get_workflow_handle(delivery.workflow_id).cancel()
    await webhooks.delete_subscription(session=session, subscription=row)
    await session.commit()
    return Response(status_code=204)


@router.get("/endpoints/{endpointId}/secret", summary="Get the endpoint's signing secret")
async def get_secret(endpoint_id: EndpointId, request: Request, principal: NativeAuth,
                     session: SessionDep) -> dict[str, Any]:
    row = await _load(session, principal, endpoint_id)
    now = utcnow()
    live = [s for s in webhooks.open_secrets(request.app.state.cipher, row) if s.live(now)]
    return {"data": {"secret": live[0].value if live else None,
                     "previousSecrets": [{"expiresAt": _stamp(s.expires_at)} for s in live[1:]]}}


@router.post("/endpoints/{endpointId}/secret/rotate", summary="Rotate the endpoint's signing secret")
async def rotate_secret(endpoint_id: EndpointId, body: RotateBody, request: Request, principal: NativeAuth,
                        session: SessionDep) -> dict[str, Any]:
    row = await _load(session, principal, endpoint_id)
    secret = body.secret or generate_secret()
    if not secret.startswith("whsec_"):
        raise BadRequest("secret must start with whsec_", field_errors={"secret": "must start with whsec_"})
    expires = webhooks.rotate(request.app.state.cipher, row, secret, body.overlap_seconds)
    await session.commit()
    return {"data": {"secret": secret, "previousSecretExpiresAt": _stamp(expires)}}


@router.get("/endpoints/{endpointId}/deliveries", summary="List the endpoint's deliveries, newest first")
async def list_deliveries(
    endpoint_id: EndpointId, principal: NativeAuth, session: SessionDep,
    status: Literal["pending", "retrying", "succeeded", "deadlettered", "skipped"] | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50, cursor: str | None = None,
) -> dict[str, Any]:
    row = await _load(session, principal, endpoint_id)
    try:
        anchor = uuid.UUID(cursor) if cursor else None
        rows, after = await webhooks.page(session=session, subscription_id=row.id,
                                          statuses=[status] if status else None, limit=limit, cursor=anchor)
    except (ValueError, LookupError):
        raise BadRequest("cursor is not valid", field_errors={"cursor": "not a cursor of this list"}) from None
    return {"data": [webhooks.as_delivery(r) for r in rows], "nextCursor": str(after) if after else None}


@router.get("/endpoints/{endpointId}/deliveries/{deliveryId}/attempts", summary="List a delivery's attempts")
async def list_attempts(endpoint_id: EndpointId, delivery_id: Annotated[str, Path(alias="deliveryId")],
                        principal: NativeAuth, session: SessionDep) -> dict[str, Any]:
    row = await _load(session, principal, endpoint_id)
    delivery = await lifecycle_endpoints.delivery(session=session, endpoint=row, delivery_id=delivery_id)
    if delivery is None:
        raise NotFound("Delivery not found")
    return {"data": [{"number": a.number, "startedAt": _stamp(a.started_at), "durationMs": a.duration_ms,
                      "responseStatus": a.response_status, "responseBody": a.response_body, "error": a.error,
                      "succeeded": a.succeeded}
                     for a in await webhooks.attempts(session=session, delivery_id=delivery.id)]}


@router.post("/endpoints/{endpointId}/deliveries/{deliveryId}/replay", status_code=202,
             summary="Send a finished delivery again (same webhook-id)")
async def replay(endpoint_id: EndpointId, delivery_id: Annotated[str, Path(alias="deliveryId")], request: Request,
                 principal: NativeAuth, session: SessionDep, temporal: TemporalDep) -> dict[str, Any]:
    row = await _load(session, principal, endpoint_id)
    delivery = await lifecycle_endpoints.delivery(session=session, endpoint=row, delivery_id=delivery_id)
    if delivery is None:
        raise NotFound("Delivery not found")
    if delivery.status in webhooks.IN_PROGRESS:
        raise Conflict("This delivery is still being attempted")
    workflow_id = webhooks.start_replay(delivery, row)
    await session.commit()
    publisher: Publisher = request.app.state.publisher
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await temporal.start_workflow(
            WEBHOOK_DELIVERY_WORKFLOW,
            DeliveryInput(delivery_id=str(delivery.id), environment_id=str(principal.environment_id),
                          max_attempts=delivery.max_attempts, series=delivery.replays, policy=publisher.policy()),
            id=workflow_id, task_queue=publisher.task_queue, id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    return {"data": webhooks.as_delivery(delivery)}
