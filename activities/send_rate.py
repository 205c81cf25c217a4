"""Send-rate limits of integrations: a provider whose every send first waits for a shared slot.

Chosen mechanism: a sliding-window slot log in the store (``store.send_rate``), reserved in one
short transaction per send, shared by every worker process; a delivery waits for its slot (the
activity keeps heartbeating) instead of failing. A provider's retryable error with
``Retry-After`` pauses the integration's slots until then. The alternative, a Temporal-side
throttle (one workflow handing out slots), costs a workflow signal round trip per send and
serialises every send of an integration through one workflow history.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from functools import cache
from typing import Any, Protocol, runtime_checkable

from channels import ChannelProvider, RetryableDeliveryError, SendResult
from store import send_rate
from store.engine import Sessions

# Kept between windows, so network jitter between Clarion and the provider cannot push two sends
# into one provider-side window: 50/s becomes at most 50 starts in any 1.2 s.
GUARD_SECONDS = 0.2
# A sender that wakes later than this after its slot (a busy event loop) takes a new one instead:
LATE_SECONDS = 0.1  # with the 0.2 s guard, 0.1 s is left for the network between here and the provider


class SendGate:
    """The slots of one integration: ``rate`` sends per second, at most ``burst`` back to back.

    Senders of one process that ask at the same moment share one reservation transaction (the
    first one reserves for everyone waiting), so the store sees a few short transactions per
    second however many sends are queued.
    """

    def __init__(self, *, sessions: Sessions, integration_id: uuid.UUID, rate: float, burst: int | None) -> None:
        self._sessions = sessions
        self._integration_id = integration_id
        self.rate = rate
        self.burst = burst or max(1, int(rate))
        self._waiting: list[asyncio.Future[float]] = []
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        while True:
            future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            self._waiting.append(future)
            async with self._lock:
                if not future.done():
                    await self._reserve_for_waiting()
            start = future.result()
            if start > time.time():
                await asyncio.sleep(start - time.time())
            # Sending long after the slot could put it in a later window than the log says; the
            # missed slot stays counted (only ever more conservative) and a new one is taken.
            if time.time() - start <= LATE_SECONDS:
                return

    async def _reserve_for_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        try:
            async with self._sessions() as session, session.begin():
                starts = await send_rate.reserve(
                    session=session, integration_id=self._integration_id, rate=self.rate, burst=self.burst,
                    guard=GUARD_SECONDS, n=len(waiting),
                )
        except BaseException as exc:
            for f in waiting:
                if not f.done():
                    f.set_exception(exc)
            raise
        for f, start in zip(waiting, starts, strict=True):
            f.set_result(start)

    async def pause(self, seconds: float) -> None:
        async with self._sessions() as session, session.begin():
            await send_rate.pause(session=session, integration_id=self._integration_id, until=time.time() + seconds)


@runtime_checkable
class Gated(Protocol):
    """A provider whose sends wait for a shared slot (``rate_limited``). The transmitter waits before a
    send's marker and before an SMTP send is staged: the wait holds no database connection, is no part
    of the undecided window, and covers staged sends (which never call ``send``)."""

    async def wait_for_slot(self) -> None: ...


_GATES: dict[tuple[uuid.UUID, float, int | None], SendGate] = {}


def gate_for(*, sessions: Sessions, integration_id: uuid.UUID, rate: float, burst: int | None) -> SendGate:
    """This process's gate of the integration (one per limit setting), so its senders share reservations."""
    key = (integration_id, rate, burst)
    if key not in _GATES:
        _GATES[key] = SendGate(sessions=sessions, integration_id=integration_id, rate=rate, burst=burst)
    return _GATES[key]


def rate_limited(provider: ChannelProvider[Any, Any], gate: SendGate) -> ChannelProvider[Any, Any]:
    """The same provider (same class, id and config), ``Gated`` by ``gate``; a provider's ``Retry-After``
    pauses the gate."""
    limited = _limited(type(provider))(provider.config, context=provider.context)
    limited._gate = gate  # type: ignore[attr-defined]
    return limited


@cache
def _limited(base: type[ChannelProvider[Any, Any]]) -> type[ChannelProvider[Any, Any]]:
    class RateLimited(base):  # type: ignore[valid-type, misc]
        _gate: SendGate

        async def wait_for_slot(self) -> None:
            await self._gate.acquire()

        async def send(self, message: Any, *, idempotency_key: str) -> SendResult:
            try:
                result: SendResult = await super().send(message, idempotency_key=idempotency_key)
            except RetryableDeliveryError as exc:
                if exc.retry_after:
                    await self._gate.pause(exc.retry_after)
                raise
            return result

    RateLimited.__name__ = RateLimited.__qualname__ = f"RateLimited{base.__name__}"
    return RateLimited
