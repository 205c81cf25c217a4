"""``/management/v1/topics/{topic}/subscriptions``: webhook subscriptions and their secrets (§1.7)."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.deps import PrincipalDep, SessionDep, SettingsDep, TemporalDep
from api.errors import Forbidden, NotFound
from api.qala.http import AUDIENCE, both, optional_str, problem, read_json, read_object, required_str
from api.qala.management.common import Caller, caller, resolve_event_types, subscription_view, topic_or_404
from channels.signing import generate_secret, secret_key
from core.settings import Settings
from store import tenancy, webhooks
from store.base import utcnow
from store.crypto import CredentialCipher
from store.models import Topic, WebhookSubscription

router = APIRouter(prefix="/management/v1/topics/{topic}/subscriptions", tags=["management"])
MAX_OVERLAP = 604_800
SCOPE = "webhook:manage"


async def cancel_pending(session: AsyncSession, temporal: Client, subscription_ids: Sequence[uuid.UUID]) -> None:
    """Cancel the workflows of deliveries still being attempted (their subscription is going away)."""
    for delivery in await webhooks.in_progress(session=session, subscription_ids=subscription_ids):
        if delivery.workflow_id:
            try:
                await temporal.get_workflow_handle(delivery.workflow_id).cancel()
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise


async def allow_insecure(session: AsyncSession, who: Caller, settings: Settings) -> bool:
    env = await tenancy.get_environment(session=session, environment_id=who.env)
    return bool((env.settings if env else {}).get("allowInsecureWebhooks", settings.mode == "dev"))


def check_url(url: str, insecure_ok: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise problem("webhookUrl", "The webhookUrl must be an absolute https:// URL.")
    if insecure_ok:
        return
    if parts.scheme != "https":
        raise problem("webhookUrl", "The webhookUrl must use https:// in this environment.")
    try:
        ip = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return  # a host name: resolved and checked again at every attempt
    if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_unspecified:
        raise problem("webhookUrl", "The webhookUrl may not point to a private, loopback or link-local address.")


async def apply(session: AsyncSession, who: Caller, topic: Topic, sub: WebhookSubscription, body: dict[str, Any],
                insecure_ok: bool, creating: bool) -> None:
    """Set the fields present in ``body`` (SubscriptionInput); absent ones are kept."""
    if creating or "name" in body:
        sub.name = required_str(body, "name")
    if "description" in body:
        sub.description = optional_str(body, "description", max_length=2000)
    if creating or "webhookUrl" in body:
        sub.webhook_url = required_str(body, "webhookUrl", max_length=2048)
        check_url(sub.webhook_url, insecure_ok)
    if "eventTypeIds" in body:
        types = await resolve_event_types(session, who.env, body["eventTypeIds"])
        outside = [t for t in types if topic.event_types and t not in topic.event_types]
        if outside:
            raise problem("eventTypeIds", f"The topic does not accept '{outside[0]}'.", "INVALID_EVENT_TYPE")
        sub.event_types = types
    if "maxDeliveryAttempts" in body:
        attempts = body["maxDeliveryAttempts"]
        if attempts is not None and (not isinstance(attempts, int) or isinstance(attempts, bool)
                                     or not 0 <= attempts <= 10):
            raise problem("maxDeliveryAttempts", "The maxDeliveryAttempts field must be an integer from 0 to 10.")
        sub.max_attempts = attempts or 5
    if "audience" in body:
        sub.audience = optional_str(body, "audience", max_length=100)
        if sub.audience is not None and not AUDIENCE.match(sub.audience):
            raise problem("audience", "The audience must match ^[A-Za-z0-9._:\\-]{1,100}$.")
    for field, attr in (("enabled", "enabled"), ("qflowSignature", "qflow_signature")):
        if field in body:
            if not isinstance(body[field], bool):
                raise problem(field, f"The {field} field must be a boolean.")
            setattr(sub, attr, body[field])
    if "payloadFormat" in body:
        if body["payloadFormat"] not in ("envelope", "data"):
            raise problem("payloadFormat", "The payloadFormat field must be 'envelope' or 'data'.")
        sub.payload_format = body["payloadFormat"]
    if who.group is not None:  # a group's subscriptions carry the group's audience, no other
        if creating and "audience" not in body:
            sub.audience = who.group.audience
        if sub.audience != who.group.audience:
            raise Forbidden("A subscriber group may only use its own audience")


def new_secret(body: dict[str, Any]) -> str:
    given = body.get("webhookSecret")
    if given is None:
        return generate_secret()
    try:
        secret_key(given if isinstance(given, str) else "")
    except ValueError as exc:
        raise problem("webhookSecret", f"The webhookSecret is invalid: {exc}.") from None
    return str(given)


async def load(session: AsyncSession, who: Caller, topic_name: str, subscription_id: str
               ) -> tuple[Topic, WebhookSubscription]:
    topic = await topic_or_404(session, who, topic_name)
    try:
        sub_id = uuid.UUID(subscription_id)
    except ValueError:
        sub_id = None
    sub = sub_id and await webhooks.get_subscription(
        session=session, environment_id=who.env, topic_id=topic.id, subscription_id=sub_id
    )
    if not sub:
        raise problem("id", "The subscription was not found.", "NOT_FOUND", NotFound)
    if who.group is not None and sub.audience != who.group.audience:
        raise Forbidden("This subscription belongs to another audience")
    return topic, sub


@both(router, "POST", "")
async def create_subscription(topic: str, request: Request, principal: PrincipalDep, session: SessionDep,
                              settings: SettingsDep) -> JSONResponse:
    who = await caller(session, principal, SCOPE, groups_allowed=True)
    row = await topic_or_404(session, who, topic)
    body = read_object(await read_json(request, required=True))
    cipher: CredentialCipher = request.app.state.cipher
    secret = new_secret(body)
    sub = WebhookSubscription(environment_id=who.env, topic_id=row.id, event_types=[], max_attempts=5, enabled=True,
                              deadletter_count=0, qflow_signature=True, payload_format="envelope",
                              secrets=webhooks.seal_secrets(cipher, [webhooks.Secret(secret, utcnow())]))
    await apply(session, who, row, sub, body, await allow_insecure(session, who, settings), creating=True)
    await webhooks.add_subscription(session=session, subscription=sub)
    await session.commit()
    return JSONResponse(await subscription_view(session, sub, row, secret), status_code=201)


@both(router, "GET", "")
async def list_subscriptions(topic: str, principal: PrincipalDep, session: SessionDep) -> list[dict[str, Any]]:
    who = await caller(session, principal, SCOPE, groups_allowed=True)
    row = await topic_or_404(session, who, topic)
    subs = await webhooks.list_subscriptions(session=session, environment_id=who.env, topic_id=row.id)
    return [await subscription_view(session, s, row) for s in subs
            if who.group is None or s.audience == who.group.audience]


@both(router, "GET", "/{subscription_id}")
async def get_subscription(topic: str, subscription_id: str, principal: PrincipalDep,
                           session: SessionDep) -> dict[str, Any]:
    who = await caller(session, principal, SCOPE, groups_allowed=True)
    row, sub = await load(session, who, topic, subscription_id)
    return await subscription_view(session, sub, row)


@both(router, "PUT", "/{subscription_id}")
async def update_subscription(topic: str, subscription_id: str, request: Request, principal: PrincipalDep,
                              session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    who = await caller(session, principal, SCOPE, groups_allowed=True)
    row, sub = await load(session, who, topic, subscription_id)
    body = read_object(await read_json(request))
    await apply(session, who, row, sub, body, await allow_insecure(session, who, settings), creating=False)
    sub.updated_at = utcnow()
    await session.commit()
    return await subscription_view(session, sub, row)


@both(router, "DELETE", "/{subscription_id}")
async def delete_subscription(topic: str, subscription_id: str, principal: PrincipalDep, session: SessionDep,
                              temporal: TemporalDep) -> Response:
    who = await caller(session, principal, SCOPE, groups_allowed=True)
    _, sub = await load(session, who, topic, subscription_id)
    await cancel_pending(session, temporal, [sub.id])
    await webhooks.delete_subscription(session=session, subscription=sub)
    await session.commit()
    return Response(status_code=204)


@both(router, "GET", "/{subscription_id}/webhook-secret")
async def get_secret(topic: str, subscription_id: str, request: Request, principal: PrincipalDep,
                     session: SessionDep) -> dict[str, Any]:
    who = await caller(session, principal, SCOPE, groups_allowed=True)
    _, sub = await load(session, who, topic, subscription_id)
    now = utcnow()
    live = [s for s in webhooks.open_secrets(request.app.state.cipher, sub) if s.live(now)]
    return {"webhookSecret": live[0].value if live else None,
            "previousSecrets": [{"expiresAt": s.expires_at.isoformat().replace("+00:00", "Z") if s.expires_at
                                 else None} for s in live[1:]]}


@both(router, "POST", "/{subscription_id}/rotate-webhook-secret")
async def rotate_secret(topic: str, subscription_id: str, request: Request, principal: PrincipalDep,
                        session: SessionDep) -> dict[str, Any]:
    who = await caller(session, principal, SCOPE, groups_allowed=True)
    _, sub = await load(session, who, topic, subscription_id)
    body = read_object(await read_json(request))
    overlap = body.get("overlapSeconds", MAX_OVERLAP)
    if overlap is None:
        overlap = MAX_OVERLAP
    if not isinstance(overlap, int) or isinstance(overlap, bool) or not 0 <= overlap <= MAX_OVERLAP:
        raise problem("overlapSeconds", f"The overlapSeconds field must be an integer from 0 to {MAX_OVERLAP}.")
    secret = new_secret(body)
    expires = webhooks.rotate(request.app.state.cipher, sub, secret, overlap)
    await session.commit()
    return {"webhookSecret": secret, "previousSecretExpiresAt": expires.isoformat().replace("+00:00", "Z")}
