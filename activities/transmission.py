"""One send with its own marker, the undecided window cut to the act that delivers.

Everything that cannot deliver the message happens first: it is built, and a provider that can stage
a send (SMTP: connect, EHLO, STARTTLS, AUTH, MAIL FROM, RCPT TO, DATA and the content) does so. Then
the ``transmitting`` marker is committed, the delivering act runs (SMTP's terminating ``.``, an API
provider's one request), and ``sent`` is committed at once. Both commits are single statements on a
connection checked out (and pinged) before the marker, in autocommit, so the window in which a dying
worker leaves an outcome unknown holds one SMTP reply or one API call and one UPDATE, no pool wait,
no BEGIN. See ``activities.unknown_outcome`` for what a retry does with a marker left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from activities.send_rate import Gated
from activities.telemetry import provider_span
from channels import ChannelProvider, DeliveryError, RetryableDeliveryError, SendResult
from store import delivery_ledger as deliveries
from store.base import utcnow
from store.engine import Sessions

log = logging.getLogger(__name__)
# Waits between tries of the "sent" commit (about 20 s in all), then give up (None).
SENT_COMMIT_RETRIES: tuple[float | None, ...] = (0.2, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0, None)


def _log_orphan_failure(window: asyncio.Future[Any]) -> None:
    # The window of an attempt cancelled meanwhile has no one awaiting it: its failure is only logged.
    if not window.cancelled() and (exc := window.exception()) is not None:
        log.warning("the send window of a message failed: %s", exc)


class MarkerKept(RetryableDeliveryError):
    """A send whose marker this attempt must leave as it is (neither forgotten nor finished); the step retries,
    and the retry finds the marker and decides (``activities.unknown_outcome``)."""


class Contended(MarkerKept):
    """Another attempt (one Temporal gave up on, still running) wrote this send's marker first: it sends, this
    attempt does not."""


class Undecided(MarkerKept):
    """The delivering act was made but no verdict came back (a connection lost or a timeout after SMTP's
    ``.``): the message may have arrived, so the outcome is unknown, not a failure to send again at once."""


class StagedSend(Protocol):
    """``deliver`` raises a ``DeliveryError`` for the remote's refusal, anything else when no verdict came."""

    async def deliver(self) -> SendResult: ...
    async def close(self) -> None: ...


@runtime_checkable
class Stages(Protocol):
    """A provider that can do all but the delivering act of a send ahead (``channels.smtp``)."""

    async def stage(self, message: Any, *, idempotency_key: str) -> StagedSend: ...


class Transmitter:
    """Sends one message of a batch between its two marker commits."""

    def __init__(self, sessions: Sessions, *, in_flight_seconds: float = 0.0) -> None:
        self._sessions = sessions
        self._in_flight_seconds = in_flight_seconds  # a marker younger than this may be another attempt's send
        bind = sessions.kw.get("bind")
        self._engine: AsyncEngine | None = bind if isinstance(bind, AsyncEngine) else None
        # The undecided windows of this process's sends, in ms: marker to "sent", of which the delivering act
        # (the "." and its reply, or the API call) and the "sent" statement; for the log.
        self.windows: list[tuple[float, float, float]] = []

    async def send(
        self, provider: ChannelProvider[Any, Any], message: Any, *, key: str, row: Mapping[str, Any] | None,
        first: bool,
    ) -> tuple[Any, int]:
        """The provider's result (or the exception it raised) and the send's duration in ms.

        ``row`` is the message row to mark (None for in-app, which has no remote to lose a send in);
        ``first`` is False on failover, where the marker exists and only names the new provider.
        """
        if isinstance(provider, Gated):
            await provider.wait_for_slot()  # the send-rate slot first: no connection held, no marker yet
        started = time.monotonic()
        if row is None:
            return await self._call(provider, message, key), round((time.monotonic() - started) * 1000)
        staged: StagedSend | None = None
        if isinstance(provider, Stages):
            try:
                with provider_span(provider.channel.value, provider.id):
                    staged = await provider.stage(message, idempotency_key=key)
            except Exception as exc:  # nothing left the building: no marker, the ledger classifies it
                return exc, round((time.monotonic() - started) * 1000)
        # Shielded: a cancellation (a heartbeat Temporal reports as timed out, a shutdown) must not cut a send
        # between its marker and "sent" while the process lives on; it takes effect once the window is closed.
        window = asyncio.ensure_future(self._transmit(provider, message, key, row, first=first, staged=staged))
        window.add_done_callback(_log_orphan_failure)
        result = await asyncio.shield(window)
        return result, round((time.monotonic() - started) * 1000)

    async def _transmit(
        self, provider: ChannelProvider[Any, Any], message: Any, key: str, row: Mapping[str, Any], *, first: bool,
        staged: StagedSend | None,
    ) -> Any:
        try:
            async with self._connection() as conn:  # checkout and pre-ping before the window
                if not await self._mark_transmitting(conn, key, row, first=first):
                    return Contended(f"another attempt is transmitting message {key}")
                opened = time.monotonic()
                if staged is not None:
                    result: Any = await self._deliver(staged, provider)
                else:
                    result = await self._call(provider, message, key)
                delivered = time.monotonic()
                if isinstance(result, SendResult):
                    await self._mark_sent(conn, key, result, str(row["provider_id"]))
                done = time.monotonic()
                self.windows.append(((done - opened) * 1000, (delivered - opened) * 1000, (done - delivered) * 1000))
                return result
        finally:
            if staged is not None:
                await staged.close()

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection]:
        if self._engine is None:
            raise RuntimeError("the transmitter needs sessions bound to an engine")
        async with self._engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    def window_summary(self) -> str:
        """The undecided windows of the sends since the last call: count, median, p95 and max in ms."""
        spans, self.windows = sorted(self.windows), []
        if not spans:
            return "no sends"
        mid, pick = spans[len(spans) // 2], spans[min(len(spans) - 1, int(len(spans) * 0.95))]
        return (f"{len(spans)} sends, median {mid[0]:.1f} ms, p95 {pick[0]:.1f} ms, max {spans[-1][0]:.1f} ms "
                f"(median send {mid[1]:.1f} ms + sent {mid[2]:.1f} ms)")

    async def _call(self, provider: ChannelProvider[Any, Any], message: Any, key: str) -> Any:
        try:
            with provider_span(provider.channel.value, provider.id):
                return await provider.send(message, idempotency_key=key)
        except Exception as exc:  # a plugin may raise anything; the ledger classifies it
            return exc

    async def _deliver(self, staged: StagedSend, provider: ChannelProvider[Any, Any]) -> Any:
        try:
            with provider_span(provider.channel.value, provider.id):
                return await staged.deliver()
        except DeliveryError as exc:  # the remote's verdict: refused
            return exc
        except Exception as exc:  # no verdict after the delivering act
            return Undecided(f"no answer after the message was transmitted: {type(exc).__name__}: {exc}")

    async def _mark_transmitting(self, conn: AsyncConnection, key: str, row: Mapping[str, Any], *, first: bool) -> bool:
        # Statements in autocommit: the one that writes the marker commits it. False: another attempt holds it.
        async with AsyncSession(bind=conn) as session:
            if first:
                stale_before = utcnow() - timedelta(seconds=self._in_flight_seconds)
                return await deliveries.take_marker(session=session, row=row, stale_before=stale_before)
            await deliveries.finish_messages(session=session, updates={key: {"provider_id": row["provider_id"]}})
            return True

    async def _mark_sent(self, conn: AsyncConnection, key: str, result: SendResult, provider_id: str) -> None:
        values = {"status": "sent", "provider_message_id": result.provider_message_id, "provider_id": provider_id}
        try:
            async with AsyncSession(bind=conn) as session:
                await deliveries.finish_messages(session=session, updates={key: values})
            return
        except Exception:
            log.info("recording message %s as sent failed at once; retrying", key, exc_info=True)
        # The send happened: keep trying to say so for a while (a database restart takes seconds), since a
        # marker left "transmitting" is an unknown outcome the retry would have to guess about.
        for delay in SENT_COMMIT_RETRIES:
            try:
                async with self._sessions() as session, session.begin():
                    await deliveries.finish_messages(session=session, updates={key: values})
                return
            except Exception:
                if delay is None:
                    # The attempt's last transaction records it again; if that fails too, the channel's
                    # unknown-outcome policy decides.
                    log.warning("could not record message %s as sent", key, exc_info=True)
                    return
                await asyncio.sleep(delay)
