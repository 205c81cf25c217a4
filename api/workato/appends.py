"""Single publishes to one topic share a store transaction under load (group commit).

A publish that finds no append of its topic in flight appends alone and at once; the publishes that
arrive meanwhile are appended together right after it: one seq bump, one multi-row INSERT and one
commit for all of them, in arrival order. Each is answered once that commit is done, so an
acknowledged message is stored, and a failed commit fails every publish of its group (503).
"""

from __future__ import annotations

import uuid
from typing import Any

from api.operations.group_commit import GroupCommit
from api.workato.common import MAX_BATCH_BODY_BYTES, MAX_BATCH_ITEMS
from store import streams
from store.base import utcnow
from store.engine import Sessions

Topic = tuple[uuid.UUID, int]  # (environment id, topic id)


class StreamAppends:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        # A group is never more than a batch publish may carry.
        self._groups: GroupCommit[Topic, dict[str, Any], streams.Appended | None] = GroupCommit(
            self._append, max_items=MAX_BATCH_ITEMS, max_bytes=MAX_BATCH_BODY_BYTES)

    async def append(self, topic: Topic, payload: dict[str, Any], size: int) -> streams.Appended | None:
        """Store ``payload`` on ``topic``; None when the topic is gone."""
        return await self._groups.submit(topic, payload, size)

    async def _append(self, topic: Topic, payloads: list[dict[str, Any]]) -> list[streams.Appended | None]:
        environment_id, topic_id = topic
        appended = await streams.append_committed(sessions=self._sessions, environment_id=environment_id,
                                                  topic_id=topic_id, payloads=payloads, now=utcnow())
        return list(appended) if appended is not None else [None] * len(payloads)


def appends_of(app: Any, sessions: Sessions) -> StreamAppends:
    """The app's shared appends, made on first use (so the app factory needs no wiring)."""
    appends: StreamAppends | None = getattr(app.state, "stream_appends", None)
    if appends is None:
        appends = app.state.stream_appends = StreamAppends(sessions)
    return appends
