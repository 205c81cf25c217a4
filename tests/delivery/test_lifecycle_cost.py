"""What lifecycle events cost an environment with no endpoint for them: one query per write that
could be an event, none for a write that cannot be one (counted on the real database)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from store import messages, preferences, subscribers
from store.engine import make_sessions
from store.models import Message, Notification, PublishedEvent
from tests.factories import two_environments


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement.split()[0].upper())

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def test_writes_without_endpoints_pay_at_most_one_query(engine: AsyncEngine) -> None:
    sessions = make_sessions(engine)
    env = (await two_environments(sessions)).env_a.id
    async with sessions() as session, session.begin():
        ada = (await subscribers.upsert_many(session=session, environment_id=env, profiles={"ada": {}}))["ada"]
        n = Notification(environment_id=env, transaction_id="t", workflow_identifier="w", subscriber_id="ada",
                         temporal_workflow_id="t")
        session.add(n)
        await session.flush()
        session.add(Message(environment_id=env, idempotency_key="k", notification_id=n.id, subscriber_id="ada",
                            subscriber_pk=ada.id, transaction_id="t", channel="in_app", step_id="s", status="sent"))
    async with sessions() as session, session.begin():
        with statements(engine) as seen:
            assert await messages.set_state(session=session, environment_id=env, subscriber_pk=ada.id,
                                            flags={"read": True, "seen": True}) == 1
        assert seen == ["SELECT", "UPDATE"]  # the endpoints' filters, then the one UPDATE as before
        with statements(engine) as seen:
            await messages.set_state(session=session, environment_id=env, subscriber_pk=ada.id,
                                     flags={"read": False})
        assert seen == ["UPDATE"]  # turning a flag off is never an event
        with statements(engine) as seen:
            await subscribers.upsert_many(session=session, environment_id=env, profiles={"ada": {"locale": "fr"}})
        assert "INSERT" not in seen and len([s for s in seen if s == "SELECT"]) == 1  # the lookup it always did
        await preferences.upsert(session=session, environment_id=env, subscriber_pk=ada.id, workflow_id=None,
                                 channels={"sms": False})
        with statements(engine) as seen:  # the same switch again changes nothing: no endpoint lookup
            await preferences.upsert(session=session, environment_id=env, subscriber_pk=ada.id, workflow_id=None,
                                     channels={"sms": False})
        assert seen == ["SELECT", "UPDATE"]
    async with sessions() as session:
        assert (await session.scalar(select(func.count()).select_from(PublishedEvent))) == 0
