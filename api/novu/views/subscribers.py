"""Loading, shaping and channel bookkeeping shared by the subscriber routes (v1, v2, credentials).

Channels are stored as Novu stores them, camelCase:
``[{"providerId", "integrationIdentifier"?, "credentials": {"webhookUrl"?, "deviceTokens"?, ...}}]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.errors import NotFound
from api.novu.schemas.subscribers import (
    ChannelDto,
    ChannelSettingsDto,
    CredentialsDto,
    CredentialsOut,
    SubscriberEnvelope,
    SubscriberResponseDto,
)
from store import subscribers as subscriber_store
from store.models import Subscriber


def stamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def subscriber_or_404(session: AsyncSession, principal: Principal, subscriber_id: str) -> Subscriber:
    found = await subscriber_store.get(
        session=session, environment_id=principal.environment_id, subscriber_id=subscriber_id
    )
    if found is None:
        # The id is not echoed: a path may carry anything, and errors should not reflect it.
        raise NotFound("Subscriber not found")
    return found


def _credentials(raw: Any) -> CredentialsOut:
    values: dict[str, Any] = {}
    if isinstance(raw, Mapping):
        for name, field in CredentialsOut.model_fields.items():
            value = raw.get(field.alias or name, raw.get(name))
            if isinstance(value, str):
                values[name] = value
            elif isinstance(value, list) and name == "device_tokens":
                values[name] = [token for token in value if isinstance(token, str)]
    return CredentialsOut(**values)


def _stored_channel(entry: Any) -> ChannelSettingsDto | None:
    """A stored entry as the SDKs parse it, leniently: triggers store channels as they were sent,
    which may be snake_case (novu 1.14) or hold values of the wrong type."""
    if not isinstance(entry, Mapping):
        return None
    provider = entry.get("providerId", entry.get("provider_id"))
    if not isinstance(provider, str):
        return None
    credentials = _credentials(entry.get("credentials"))
    identifier = entry.get("integrationIdentifier", entry.get("integration_identifier"))
    return ChannelSettingsDto(
        provider_id=provider,
        integration_identifier=identifier if isinstance(identifier, str) else None,
        credentials=credentials,
    )


def subscriber_dto(row: Subscriber, principal: Principal) -> SubscriberResponseDto:
    channels = [dto for dto in map(_stored_channel, row.channels or []) if dto is not None]
    return SubscriberResponseDto(
        id=str(row.id),
        subscriber_id=row.subscriber_id,
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        phone=row.phone,
        avatar=row.avatar,
        locale=row.locale,
        timezone=row.timezone,
        data=row.data or {},
        channels=channels,
        audiences=list(row.audiences or []),
        is_online=row.is_online,
        last_online_at=stamp(row.last_online_at) if row.last_online_at else None,
        organization_id=str(principal.organization_id),
        environment_id=str(principal.environment_id),
        created_at=stamp(row.created_at),
        updated_at=stamp(row.updated_at),
    )


def envelope(row: Subscriber, principal: Principal) -> SubscriberEnvelope:
    return SubscriberEnvelope(data=subscriber_dto(row, principal))


def _matches(entry: Mapping[str, Any], incoming: ChannelDto) -> bool:
    if entry.get("providerId") != incoming.provider_id:
        return False
    # Without an integration identifier the update targets the provider's first entry, as in Novu.
    wanted = incoming.integration_identifier
    return wanted is None or entry.get("integrationIdentifier") == wanted


def merge_channels(stored: Sequence[Any], incoming: Iterable[ChannelDto], *, append: bool) -> list[dict[str, Any]]:
    """Apply credential updates: fields sent replace stored ones, except ``deviceTokens``,
    which ``append`` adds to (without duplicates) instead of replacing."""
    channels = _dumped(stored)
    for update in incoming:
        sent = (update.credentials or CredentialsDto()).model_dump(by_alias=True, exclude_none=True)
        target = next((c for c in channels if _matches(c, update)), None)
        if target is None:
            target = {"providerId": update.provider_id, "credentials": {}}
            if update.integration_identifier is not None:
                target["integrationIdentifier"] = update.integration_identifier
            channels.append(target)
        credentials = {**target["credentials"], **sent}
        if append and "deviceTokens" in sent:
            credentials["deviceTokens"] = list(dict.fromkeys([*target["credentials"].get("deviceTokens", []),
                                                               *sent["deviceTokens"]]))
        target["credentials"] = credentials
    return channels


def _dumped(stored: Sequence[Any]) -> list[dict[str, Any]]:
    """Stored entries in the canonical camelCase form (older snake_case ones are rewritten)."""
    entries = [dto for dto in map(_stored_channel, stored) if dto is not None]
    return [dto.model_dump(by_alias=True, exclude_none=True, exclude={"integration_id"}) for dto in entries]


def without_provider(stored: Sequence[Any], provider_id: str) -> list[dict[str, Any]]:
    """Every stored entry except those of ``provider_id``."""
    return [entry for entry in _dumped(stored) if entry["providerId"] != provider_id]


async def delete_or_404(session: AsyncSession, principal: Principal, subscriber_id: str) -> None:
    """Delete a subscriber (the database cascades to their messages, preferences and memberships)."""
    deleted = await subscriber_store.delete(
        session=session, environment_id=principal.environment_id, subscriber_id=subscriber_id
    )
    if not deleted:
        raise NotFound("Subscriber not found")
    await session.commit()
