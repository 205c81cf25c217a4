"""The plain data templates see, and the delivery target a step kind builds a message for."""

from __future__ import annotations

from typing import Any

from channels.steps import Recipient
from core.payloads import SubscriberInput, TenantInput
from store.models import Subscriber, Tenant


def subscriber_view(row: Subscriber) -> dict[str, Any]:
    """The subscriber as templates see it: Novu's camelCase names, no ORM object."""
    return {
        "subscriberId": row.subscriber_id,
        "firstName": row.first_name,
        "lastName": row.last_name,
        "email": row.email,
        "phone": row.phone,
        "avatar": row.avatar,
        "locale": row.locale,
        "timezone": row.timezone,
        "data": row.data or {},
    }


def recipient(row: Subscriber) -> Recipient:
    return Recipient(
        subscriber_id=row.subscriber_id, email=row.email, phone=row.phone, first_name=row.first_name,
        last_name=row.last_name, avatar=row.avatar, locale=row.locale, timezone=row.timezone,
        data=row.data or {}, channels=row.channels or [],
    )


def actor_view(actor: SubscriberInput | None, stored: Subscriber | None) -> dict[str, Any]:
    if stored is not None:
        return subscriber_view(stored)
    if actor is None:
        return {}
    return {"subscriberId": actor.subscriber_id, **actor.model_dump(by_alias=True, exclude_none=True)}


def tenant_view(tenant: TenantInput | None, stored: Tenant | None) -> dict[str, Any]:
    if stored is not None:
        return {"identifier": stored.identifier, "name": stored.name, "data": stored.data or {}}
    if tenant is None:
        return {}
    return tenant.model_dump(exclude_none=True)
