"""One send with its own marker: committed ``transmitting`` immediately before the send and ``sent``
immediately after it, so the window in which a dying worker leaves an outcome unknown is one SMTP
transaction or one API call, not a whole batch (see ``activities.unknown_outcome``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from activities.telemetry import provider_span
from channels import ChannelProvider, SendResult
from store import delivery_ledger as deliveries
from store.engine import Sessions

log = logging.getLogger(__name__)


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
        try:
            async with self._sessions() as session, session.begin():
                await deliveries.finish_messages(session=session, updates={key: values})
        except Exception:
            # The send happened; the attempt's last transaction records it again. If that fails too,
            # the marker stays "transmitting" and the channel's unknown-outcome policy decides.
            log.warning("could not record message %s as sent right away", key, exc_info=True)
