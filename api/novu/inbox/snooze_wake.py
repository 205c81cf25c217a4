"""Snoozed in-app messages come back: each API process wakes the due ones and announces them on the bus.

The claim in ``snoozes.wake_due`` makes each wake happen on one process only; the live sockets then
get the message and the counts as for a new one.
"""

from __future__ import annotations

import asyncio
import logging

from api.novu.schemas.inbox import inbox_dto
from store import inbox_counts, messages, snoozes, subscribers
from store.engine import Sessions
from store.realtime import RealtimeBus

log = logging.getLogger("clarion.inbox.live")
# The bus events of the Inbox (event-apis.md §3.3), also what its live sockets listen for.
RECEIVED, UNSEEN, UNREAD = "inbox.notification.received", "inbox.unseen_count.changed", "inbox.unread_count.changed"
WAKE_EVERY_SECONDS = 1.0


async def wake_once(sessions: Sessions, bus: RealtimeBus) -> int:
    """Wake due snoozed messages and announce them; the claim makes each wake happen on one process only."""
    async with sessions() as session:
        woken = await snoozes.wake_due(session=session)
        await session.commit()
        for m in woken:
            subscriber = await subscribers.get(session=session, environment_id=m.environment_id,
                                               subscriber_id=m.subscriber_id)  # fmt: skip
            fresh = await messages.get(session=session, environment_id=m.environment_id, message_id=m.id)
            if subscriber is None or fresh is None:
                continue
            flows = await messages.workflows(session=session, environment_id=m.environment_id, messages=[fresh])
            item = inbox_dto(fresh, subscriber=subscriber,
                             workflow=flows.get(fresh.workflow_id) if fresh.workflow_id else None)  # fmt: skip
            sub, env = m.subscriber_id, m.environment_id
            await bus.publish(
                env,
                RECEIVED,
                item.model_dump(by_alias=True, mode="json"),
                message="NOTIFICATION_RECEIVED",
                subscriber_id=sub,
                channel=messages.IN_APP,
            )
            unseen, unread = (
                await inbox_counts.unseen_unread(
                    session=session, environment_id=env, subscriber_pks=[subscriber.id]
                )
            )[subscriber.id]
            for kind, name, key, count in ((UNSEEN, "UNSEEN_COUNT_CHANGED", "unseenCount", unseen),
                                           (UNREAD, "UNREAD_COUNT_CHANGED", "unreadCount", unread)):
                await bus.publish(env, kind, {"subscriberId": sub, key: count}, message=name, subscriber_id=sub,
                                  channel=messages.IN_APP)
    return len(woken)


async def wake_forever(sessions: Sessions, bus: RealtimeBus) -> None:
    while True:
        try:
            await wake_once(sessions, bus)
        except Exception:  # a failed sweep is retried on the next tick; the read-time rule keeps data right
            log.warning("waking snoozed notifications failed", exc_info=True)
        await asyncio.sleep(WAKE_EVERY_SECONDS)
