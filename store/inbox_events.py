"""``message.read``, ``message.seen`` and ``message.archived``: which inbox writes turned a flag on.

A state change writes each flag's time as ``coalesce(time, now)`` (``store.messages``), so after the
UPDATE a flag whose time equals the statement's ``now`` is one this statement turned on; one that
was already on keeps its older time and is no event. Of two racing writers, only the one whose
``now`` landed emits, and the event id carries that time (``core.lifecycle_events.flag_event_id``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle_events import INBOX_FLAGS, flag_event_id, message_data, stamp
from store import lifecycle_outbox
from store.models import Message


async def watched(*, session: AsyncSession, environment_id: uuid.UUID, flags: Mapping[str, bool]) -> set[str]:
    """The flags this write turns on that some endpoint wants an event of: one query, none when the
    write only turns flags off."""
    on = {f"message.{f}" for f in INBOX_FLAGS if flags.get(f)}
    if not on:
        return set()
    wanted = await lifecycle_outbox.wanted_types(session=session, environment_id=environment_id, types=on)
    return {t.removeprefix("message.") for t in wanted}


async def record(*, session: AsyncSession, environment_id: uuid.UUID, rows: Iterable[Message], flags: set[str],
                 now: datetime) -> None:
    """Record an event per (message, flag in ``flags``) that the write at ``now`` turned on."""
    at = stamp(now)
    events = []
    for m in rows:
        for flag in sorted(flags):
            since = getattr(m, f"{flag}_at")
            if getattr(m, flag) and since is not None and stamp(since) == at:
                events.append(lifecycle_outbox.LifecycleEvent(
                    str(environment_id), flag_event_id(str(m.id), flag, since), f"message.{flag}",
                    message_data(m, status=flag, occurred_at=since),
                ))
    await lifecycle_outbox.record(session=session, environment_id=environment_id, events=events,
                                  wanted={f"message.{f}" for f in flags})
