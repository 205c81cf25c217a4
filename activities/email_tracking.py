"""Open/click tracking for HTML email, when the environment switched it on (off by default).

Applied once the recipients are planned and before any integration is tried, so every provider
(and a failover) sends the same instrumented body. Tokens name the message by its idempotency key,
which exists before the send, and are signed with the instance secret (``core.tracking_tokens``);
the hits come back to ``/v1/t/o/{token}`` and ``/v1/t/c/{token}`` (``api/novu/routes/tracking.py``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from dataclasses import dataclass

from activities.ledger import Delivery
from channels import EmailMessage
from core import tracking_tokens
from store import email_tracking
from store.engine import Sessions
from templates.email_tracking import instrument


@dataclass(frozen=True)
class EmailTracking:
    """``public_url``: where mail clients reach the API; ``secret``: the instance secret (token key)."""

    public_url: str
    secret: str
    sessions: Sessions

    async def decorate(self, environment_id: str, pending: list[Delivery]) -> list[Delivery]:
        """``pending`` with the HTML of its emails instrumented as the environment's setting asks."""
        if not self.public_url or not any(isinstance(d.message, EmailMessage) and d.message.html for d in pending):
            return pending
        async with self.sessions() as session:
            tracking = await email_tracking.get(session=session, environment_id=uuid.UUID(environment_id))
        if not tracking.on:
            return pending
        # Parsing many bodies is CPU work: off the event loop, like rendering.
        return await asyncio.to_thread(lambda: [self._one(environment_id, d, tracking) for d in pending])

    def _one(self, environment_id: str, d: Delivery, tracking: email_tracking.Tracking) -> Delivery:
        message = d.message
        if not isinstance(message, EmailMessage) or not message.html:
            return d
        base = f"{self.public_url.rstrip('/')}/v1/t"

        def token(kind: tracking_tokens.Kind, url: str = "") -> str:
            return tracking_tokens.make(self.secret, tracking_tokens.Hit(environment_id, d.key, kind, url))

        html = instrument(
            message.html,
            pixel_url=f"{base}/o/{token('o')}" if tracking.opens else None,
            link=(lambda url: f"{base}/c/{token('c', url)}") if tracking.clicks else None,
        )
        return dataclasses.replace(d, message=message.model_copy(update={"html": html}))
