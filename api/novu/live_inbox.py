"""Live events of inbox changes made through the API: read/seen/archived and the unseen/unread counts.

The write routes of the v1 feed and the v2 inbox share one dependency (``WriteSubscriber``); it
wraps the route in ``inbox_changes``, which compares the subscriber's counts (and the flags of the
message named in the path) before and after, and publishes what changed once the route committed.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.operations.lifecycle import start_committed
from store import inbox_counts, messages
from store.models import Message, Subscriber
from store.realtime import RealtimeBus

_FLAGS = (("read", "message.read", "MESSAGE_READ"), ("seen", "message.seen", "MESSAGE_SEEN"),
          ("archived", "message.archived", "MESSAGE_ARCHIVED"))


async def _message(session: AsyncSession, env: uuid.UUID, pk: uuid.UUID, raw: str | None) -> Message | None:
    try:
        key = uuid.UUID(raw) if raw else None
    except ValueError:
        return None
    if key is None:
        return None
    return await messages.get(session=session, environment_id=env, message_id=key, subscriber_pk=pk)


def _body(m: Message) -> dict[str, object]:
    return {"messageId": str(m.id), "notificationId": str(m.notification_id), "transactionId": m.transaction_id,
            "workflowIdentifier": None, "stepId": m.step_id, "subscriberId": m.subscriber_id, "channel": m.channel,
            "providerId": m.provider_id, "status": m.status}


@contextlib.asynccontextmanager
async def inbox_changes(
    request: Request, session: AsyncSession, env: uuid.UUID, subscriber: Subscriber
) -> AsyncIterator[None]:
    bus: RealtimeBus = request.app.state.services.bus
    raw_id = request.path_params.get("notificationId") or request.path_params.get("messageId")
    pk, sub = subscriber.id, subscriber.subscriber_id  # read now: the route's commit expires the object
    pks = [pk]
    before = (await inbox_counts.unseen_unread(session=session, environment_id=env, subscriber_pks=pks))[pk]
    found = await _message(session, env, pk, raw_id)
    flags = {name: bool(getattr(found, name)) for name, _, _ in _FLAGS} if found else {}
    yield  # the route runs and commits; on an error nothing below runs
    await start_committed(request, session)  # message.read/seen/archived for the lifecycle endpoints
    if found is not None:
        after = await _message(session, env, pk, raw_id)
        for name, kind, code in _FLAGS if after else ():
            assert after is not None
            if getattr(after, name) and not flags[name]:
                await bus.publish(env, kind, _body(after), message=code, subscriber_id=sub,
                                  channel=after.channel)
    unseen, unread = (await inbox_counts.unseen_unread(session=session, environment_id=env, subscriber_pks=pks))[pk]
    if unseen != before[0]:
        await bus.publish(env, "inbox.unseen_count.changed", {"subscriberId": sub, "unseenCount": unseen},
                          message="UNSEEN_COUNT_CHANGED", subscriber_id=sub, channel="in_app")
    if unread != before[1]:
        await bus.publish(env, "inbox.unread_count.changed", {"subscriberId": sub, "unreadCount": unread},
                          message="UNREAD_COUNT_CHANGED", subscriber_id=sub, channel="in_app")
