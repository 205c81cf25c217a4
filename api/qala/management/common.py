"""What the management routers share: Qala object shapes, topic look-ups and the group-token rules (§1.5-1.7)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, credential_from
from api.errors import Forbidden, NotFound, Unauthorized
from api.qala.http import problem, require
from store import groups, session_tokens, tenancy
from store import topics as topic_store
from store import workflows as workflow_store
from store.models import ApiKey, NotificationWorkflow, SubscriberGroup, Topic, WebhookSubscription


def stamp(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z") if value else None


@dataclass(frozen=True)
class Caller:
    """The principal, plus its group when it is a subscriber-group token (``sgt_``)."""

    principal: Principal
    group: SubscriberGroup | None = None

    @property
    def env(self) -> uuid.UUID:
        return self.principal.environment_id

    def may_use(self, topic_name: str) -> bool:
        return self.group is None or topic_name in groups.permitted_topics(self.group)


async def caller(session: AsyncSession, principal: Principal, scope: str, *, groups_allowed: bool = False) -> Caller:
    """Check ``scope`` for keys; a group token passes only where ``groups_allowed`` (§1.7 table)."""
    if principal.kind == "group" and groups_allowed:
        assert principal.group_id is not None
        group = await groups.get(session=session, environment_id=principal.environment_id, group_id=principal.group_id)
        if group is None:
            raise Unauthorized("The subscriber group of this session token no longer exists")
        return Caller(principal, group)
    require(principal, scope)
    return Caller(principal)


async def own_key(request: Request, session: AsyncSession) -> ApiKey:
    """The caller's ``*`` API key, whatever it is bound to: key and environment routes need no
    ``x-environment-id``, since they act on the key's whole binding."""
    raw = credential_from(request)
    if not raw:
        raise Unauthorized("API Key not found: send it as 'x-auth-token: <key>'")
    if session_tokens.is_session_token(raw):
        raise Forbidden("A session token cannot manage keys or environments")
    key = await tenancy.find_key(session=session, raw=raw)
    if key is None:
        raise Unauthorized("API Key not found or revoked")
    if "*" not in key.scopes:
        raise Forbidden("This key lacks the '*' scope")
    wanted = request.headers.get("x-environment-id", "").strip().lower()
    if wanted and key.environment_id is not None and wanted != str(key.environment_id):
        raise Forbidden("This key is limited to another environment")
    if wanted and key.environment_id is None:
        env = await tenancy.get_environment(session=session, environment_id=_guid(wanted))
        if env is None or env.organization_id != key.organization_id or (
            key.project_id is not None and env.project_id != key.project_id
        ):
            raise Forbidden("The environment is outside this key's organization or project")
    return key


def _guid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise problem("x-environment-id", "The x-environment-id header is not a GUID.") from None


async def workflows_by_type(session: AsyncSession, env: uuid.UUID, types: list[str]) -> dict[str, NotificationWorkflow]:
    return await workflow_store.get_by_identifiers(session=session, environment_id=env, identifiers=types)


async def resolve_event_types(session: AsyncSession, env: uuid.UUID, items: Any, name: str = "eventTypeIds"
                              ) -> list[str]:
    """Each item is an event type id or a type string; the answer is type strings, in order."""
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise problem(name, f"The {name} field must be an array of strings.")
    rows = await workflow_store.list_all(session=session, environment_id=env)
    by_id = {str(r.id): r.identifier for r in rows}
    by_type = {r.identifier for r in rows}
    found: list[str] = []
    for item in items:
        kind = item if item in by_type else by_id.get(item.lower())
        if kind is None:
            raise problem(name, f"'{item}' is not an event type of this environment.", "INVALID_EVENT_TYPE")
        found.append(kind)
    return list(dict.fromkeys(found))


async def type_refs(session: AsyncSession, env: uuid.UUID, types: list[str]) -> list[dict[str, str]]:
    known = await workflows_by_type(session, env, types)
    return [{"id": str(known[t].id), "type": t} for t in types if t in known]


async def topic_view(session: AsyncSession, topic: Topic) -> dict[str, Any]:
    return {"id": str(topic.id), "name": topic.key, "description": topic.description,
            "provisioningState": "Succeeded",
            "eventTypes": await type_refs(session, topic.environment_id, list(topic.event_types or []))}


async def topic_or_404(session: AsyncSession, who: Caller, name: str) -> Topic:
    """The topic named ``name``; a group token sees only its permitted topics (others are 403)."""
    topic = await topic_store.get(session=session, environment_id=who.env, key=name)
    if topic is None:
        raise problem("topicName", "The topic was not found.", "NOT_FOUND", NotFound)
    if not who.may_use(topic.key):
        raise Forbidden("This subscriber group may not use this topic")
    return topic


async def subscription_view(session: AsyncSession, sub: WebhookSubscription, topic: Topic,
                            secret: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": str(sub.id), "name": sub.name, "description": sub.description, "webhookUrl": sub.webhook_url,
        "topicName": topic.key, "eventTypes": await type_refs(session, sub.environment_id, list(sub.event_types)),
        "maxDeliveryAttempts": sub.max_attempts, "audience": sub.audience,
        "provisioningState": "Succeeded" if sub.enabled else "Disabled", "enabled": sub.enabled,
        "deadletterCount": sub.deadletter_count, "qflowSignature": sub.qflow_signature,
        "payloadFormat": sub.payload_format, "createdAt": stamp(sub.created_at), "updatedAt": stamp(sub.updated_at),
    }
    if secret is not None:
        view["webhookSecret"] = secret
    return view
