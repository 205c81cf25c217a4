"""What the v1 feed and the v2 inbox routes share: the subscriber in the path, message ids, payload filters."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import NativeAuth, SessionDep
from api.errors import BadRequest, NotFound
from api.novu.live_inbox import inbox_changes
from api.novu.schemas.inbox_requests import filter_object
from api.paging import MAX_PAGE as MAX_PAGE  # the inbox routes import it from here
from store import messages, subscribers
from store.models import Message, Subscriber

# SQLite binds at most 32766 parameters; a bound on ids per request keeps one IN list far below it.
MAX_IDS = 1000
SubscriberIdPath = Annotated[str, Path(alias="subscriberId")]


async def _subscriber(session: SessionDep, principal: NativeAuth, subscriber_id: SubscriberIdPath) -> Subscriber | None:
    return await subscribers.get(session=session, environment_id=principal.environment_id, subscriber_id=subscriber_id)


# Novu answers an unknown subscriber with 400 on its feed reads and 404 on its writes; the message
# names no id, so nothing the caller did not send comes back.
async def subscriber_to_read(found: Annotated[Subscriber | None, Depends(_subscriber)]) -> Subscriber:
    if found is None:
        raise BadRequest("Subscriber not found in this environment", field_errors={"subscriberId": "not found"})
    return found


async def subscriber_to_write(
    request: Request, session: SessionDep, principal: NativeAuth,
    found: Annotated[Subscriber | None, Depends(_subscriber)],
) -> AsyncIterator[Subscriber]:
    if found is None:
        raise NotFound("Subscriber not found in this environment")
    # Publishes read/seen/archived and count changes once the route has committed (api/novu/live_inbox.py).
    async with inbox_changes(request, session, principal.environment_id, found):
        yield found


ReadSubscriber = Annotated[Subscriber, Depends(subscriber_to_read)]
WriteSubscriber = Annotated[Subscriber, Depends(subscriber_to_write)]


def parse_id(value: str) -> uuid.UUID | None:
    """A message id Clarion could have issued, or None: a malformed id is simply one that matches nothing."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def own_message(
    session: AsyncSession,
    principal: Principal,
    subscriber: Subscriber,
    message_id: str,
    *,
    channel: str | None = None,
    lock: bool = False,
) -> Message:
    """The subscriber's message with this id (not deleted), or 404: unknown, malformed and foreign ids alike."""
    key = parse_id(message_id)
    found = None
    if key is not None:
        found = await messages.get(
            session=session, environment_id=principal.environment_id, message_id=key, subscriber_pk=subscriber.id,
            channel=channel, lock=lock,
        )  # fmt: skip
    if found is None:
        raise NotFound("Message not found")
    return found


def parse_ids(values: str | Iterable[str]) -> list[uuid.UUID]:
    """Ids from a list or a comma-separated string (Novu accepts both), malformed ones dropped."""
    raw = values.split(",") if isinstance(values, str) else list(values)
    if len(raw) > MAX_IDS:
        raise BadRequest(f"At most {MAX_IDS} message ids per request", field_errors={"messageId": "too many ids"})
    return [i for i in (parse_id(v.strip()) for v in raw) if i is not None]


def parse_json_object(text: str, *, field: str, message: str) -> dict[str, Any]:
    try:
        return filter_object(text)
    except ValueError as exc:
        raise BadRequest(message, field_errors={field: str(exc)}) from None


def parse_payload_filter(text: str) -> dict[str, Any]:
    """The v1 feed's ``payload``: Novu's base64-encoded JSON object, or the JSON object itself."""
    message = "Invalid payload, the JSON object should be encoded to base64 string."
    stripped = text.strip()
    if stripped.startswith("{"):
        return parse_json_object(stripped, field="payload", message=message)
    # An unescaped "+" in a query string arrives as a space.
    stripped = stripped.replace(" ", "+")
    padded = stripped + "=" * (-len(stripped) % 4)
    try:
        # Browsers' btoa gives the standard alphabet; some clients send the URL-safe one.
        decoded = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest(message, field_errors={"payload": "is not base64-encoded JSON"}) from None
    return parse_json_object(decoded, field="payload", message=message)
