"""One send with its own marker: committed ``transmitting`` immediately before the send and ``sent``
immediately after it, so the window in which a dying worker leaves an outcome unknown is one SMTP
transaction or one API call, not a whole batch (see ``activities.unknown_outcome``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

from activities.telemetry import provider_span
from channels import ChannelProvider, SendResult
from store import delivery_ledger as deliveries
from store.engine import Sessions

log = logging.getLogger(__name__)
# Waits between tries of the "sent" commit (about 20 s in all), then give up (None).
SENT_COMMIT_RETRIES: tuple[float | None, ...] = (0.2, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0, None)


class Transmitter:
    """Sends one message of a batch between its two marker commits."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def send(
        self, provider: ChannelProvider[Any, Any], message: Any, *, key: str, row: Mapping[str, Any] | None,
        first: bool,
    ) -> tuple[Any, int]:
        """The provider's result (or the exception it raised) and the send's duration in ms.

        ``row`` is the message row to mark (None for in-app, which has no remote to lose a send in);
        ``first`` is False on failover, where the marker exists and only names the new provider.
        """
        if row is not None:
            async with self._sessions() as session, session.begin():
                if first:
                    await deliveries.insert_messages(session=session, rows=[dict(row)])
                else:
                    updates = {key: {"provider_id": row["provider_id"]}}
                    await deliveries.finish_messages(session=session, updates=updates)
        started = time.monotonic()
        try:
            with provider_span(provider.channel.value, provider.id):
                result: Any = await provider.send(message, idempotency_key=key)
        except Exception as exc:  # a plugin may raise anything; the ledger classifies it
            result = exc
        ms = round((time.monotonic() - started) * 1000)
        if row is not None and isinstance(result, SendResult):
            await self._mark_sent(key, result, str(row["provider_id"]))
        return result, ms

    async def _mark_sent(self, key: str, result: SendResult, provider_id: str) -> None:
        values = {"status": "sent", "provider_message_id": result.provider_message_id, "provider_id": provider_id}
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
