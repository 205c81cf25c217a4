"""Instants in a subscriber's time zone: scheduled digests and delivery windows of delays.

Time zones need the zone database, which a workflow may not read (the sandbox forbids it and it
can change between replays), so these instants are computed here and recorded in the history.

- ``cron``: the next minute after ``after`` matching a five-field cron expression
  (minute hour day-of-month month day-of-week; ``*``, lists, ranges and ``/`` steps; 0 or 7 is Sunday).
- ``at_time`` with optional ``weekdays``: the next such wall-clock time.
- ``window``: ``after`` itself when it lies inside the delivery window, else the window's next start.
"""

from __future__ import annotations

import uuid

from temporalio import activity

from activities import lifecycle
from activities.recipients import claim_batch
from core.action_payloads import ScheduleInput, ScheduleResult
from core.schedule_rules import in_window, next_at_time, next_cron, zone
from store import subscribers
from store.engine import Sessions


class ScheduleActivities:
    def __init__(self, *, sessions: Sessions) -> None:
        self._sessions = sessions

    @activity.defn
    async def next_instant(self, inp: ScheduleInput) -> ScheduleResult:
        """When a scheduled digest closes, or when a delay in a delivery window ends."""
        name = inp.timezone
        if name == "subscriber":
            name = await self._subscriber_zone(inp) or "UTC"
        tz = zone(name)
        at = inp.after
        if inp.cron:
            at = next_cron(inp.cron, at, tz)
        elif inp.at_time:
            at = next_at_time(inp.at_time, inp.weekdays, at, tz)
        if inp.window:
            at = in_window(inp.window, at, tz)
        return ScheduleResult(at=at, timezone=tz.key)

    async def _subscriber_zone(self, inp: ScheduleInput) -> str | None:
        env = uuid.UUID(inp.environment_id)
        if inp.subscriber_id is None and inp.context is not None and inp.batch is not None:
            async with self._sessions() as session, session.begin():
                claimed = await claim_batch(session, inp.context, inp.batch)
            await lifecycle.start_committed(session, inp.environment_id)  # subscriber.created, inline
            return claimed[0][1].timezone if claimed else None
        if inp.subscriber_id is None:
            return None
        async with self._sessions() as session, session.begin():
            found = await subscribers.get(session=session, environment_id=env, subscriber_id=inp.subscriber_id)
            return found.timezone if found else None
