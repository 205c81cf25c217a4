"""The "transmitting" marker of one send (store.delivery_ledger.take_marker): exactly one attempt may hold it.

A second attempt Temporal started while the first one is still running (a heartbeat lost while the
Temporal server restarted) must not send too; an attempt that resends an unknown outcome takes over a
marker only once it is old enough that its writer cannot still be on the wire.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from store import delivery_ledger as deliveries
from store.base import utcnow
from store.engine import make_sessions
from store.models import Message, Notification
from tests.factories import two_environments

KEY = "run-1:mail:ada"


async def test_one_attempt_holds_a_marker_until_it_is_stale(engine: AsyncEngine) -> None:
    sessions = make_sessions(engine)
    tenancy = await two_environments(sessions)
    env = tenancy.env_a.id
    async with sessions() as session, session.begin():
        note = Notification(environment_id=env, transaction_id="tx", workflow_identifier="w", subscriber_id="ada",
                            channels=["email"], payload={}, temporal_workflow_id="run-1")
        session.add(note)
        await session.flush()
        row: dict[str, Any] = {"environment_id": env, "idempotency_key": KEY, "notification_id": note.id,
                               "subscriber_id": "ada", "transaction_id": "tx", "channel": "email", "step_id": "mail",
                               "content": "", "payload": {}, "tags": [], "provider_id": "smtp",
                               "status": "transmitting"}

    async def take(stale_seconds: float, provider: str = "smtp") -> bool:
        async with sessions() as session, session.begin():
            return await deliveries.take_marker(session=session, row={**row, "provider_id": provider},
                                                stale_before=utcnow() - timedelta(seconds=stale_seconds))

    assert await take(40)  # the first attempt writes it
    assert not await take(40)  # a concurrent attempt finds it fresh: not its send
    assert await take(-1, provider="backup")  # once stale: an unknown outcome resent by a later attempt
    async with sessions() as session:
        marker = await session.get(Message, (await session.execute(
            update(Message).where(Message.idempotency_key == KEY).values(status="sent").returning(Message.id)
        )).scalar_one())
        await session.commit()
        assert marker is not None and marker.provider_id == "backup"
    assert not await take(-1)  # sent: never taken over, however old
