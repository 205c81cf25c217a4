"""The "transmitting" marker of one send (store.delivery_ledger.take_marker): exactly one attempt may hold it.

A second attempt Temporal started while the first one is still running (a heartbeat lost while the
Temporal server restarted) must not send too; an attempt that resends an unknown outcome takes over a
marker only once it is old enough that its writer cannot still be on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from datetime import timedelta
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.transmission import Transmitter, Undecided
from channels.messages import EmailMessage
from channels.smtp import SmtpConfig, SmtpProvider
from store import delivery_ledger as deliveries
from store.base import utcnow
from store.engine import Sessions, make_sessions
from store.models import Message, Notification
from tests.factories import two_environments

KEY = "run-1:mail:ada"


async def marker_row(sessions: Sessions) -> dict[str, Any]:
    env = (await two_environments(sessions)).env_a.id
    async with sessions() as session, session.begin():
        note = Notification(environment_id=env, transaction_id="tx", workflow_identifier="w", subscriber_id="ada",
                            channels=["email"], payload={}, temporal_workflow_id="run-1")
        session.add(note)
        await session.flush()
        return {"environment_id": env, "idempotency_key": KEY, "notification_id": note.id, "subscriber_id": "ada",
                "transaction_id": "tx", "channel": "email", "step_id": "mail", "content": "", "payload": {},
                "tags": [], "provider_id": "smtp", "status": "transmitting"}


async def test_one_attempt_holds_a_marker_until_it_is_stale(engine: AsyncEngine) -> None:
    sessions = make_sessions(engine)
    row = await marker_row(sessions)

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


class HeldServer:
    """An SMTP server that holds its reply to the terminating "." until released."""

    def __init__(self) -> None:
        self.reached, self.release, self.received = threading.Event(), threading.Event(), 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.reached.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 10)
        self.received += 1
        return "250 OK"


async def test_no_reply_after_the_terminator_is_unknown_and_keeps_the_marker(engine: AsyncEngine) -> None:
    # The server takes the message but its reply comes after the client gave up: not a failure to resend now.
    sessions = make_sessions(engine)
    row = await marker_row(sessions)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = HeldServer()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = SmtpConfig(host="127.0.0.1", port=port, security="none", from_address="c@x.test", timeout=1)
        result, _ = await Transmitter(sessions, in_flight_seconds=40).send(
            SmtpProvider(config), EmailMessage(to=["ada@x.test"], subject="Hi", text="Hello"), key=KEY, row=row,
            first=True,
        )
        handler.release.set()
        assert isinstance(result, Undecided)
        async with sessions() as session:
            assert await session.scalar(select(Message.status).where(Message.idempotency_key == KEY)) == "transmitting"
    finally:
        handler.release.set()
        controller.stop()


async def test_a_cancelled_attempt_still_closes_its_window_with_sent(engine: AsyncEngine) -> None:
    # A heartbeat Temporal reports timed out cancels the activity; the send on the wire must still say "sent".
    sessions = make_sessions(engine)
    row = await marker_row(sessions)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = HeldServer()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        provider = SmtpProvider(SmtpConfig(host="127.0.0.1", port=port, security="none", from_address="c@x.test"))
        transmitter = Transmitter(sessions, in_flight_seconds=40)
        mail = EmailMessage(to=["ada@x.test"], subject="Hi", text="Hello")
        attempt = asyncio.create_task(transmitter.send(provider, mail, key=KEY, row=row, first=True))
        await asyncio.to_thread(handler.reached.wait, 10)  # the "." is out, its reply held: inside the window
        attempt.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await attempt
        handler.release.set()
        for _ in range(200):
            async with sessions() as session:
                status = await session.scalar(select(Message.status).where(Message.idempotency_key == KEY))
            if status == "sent":
                break
            await asyncio.sleep(0.05)
        assert status == "sent" and handler.received == 1
    finally:
        handler.release.set()
        controller.stop()
