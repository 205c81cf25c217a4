"""A worker started while Temporal is down waits for it instead of exiting (a restart loop in an
orchestrator would do the same, more noisily and with a crash in the logs each time)."""

from __future__ import annotations

import asyncio
import logging

from temporalio.client import Client

from api.resources import connect_temporal
from core.settings import Settings

log = logging.getLogger(__name__)
MAX_DELAY_SECONDS = 30.0


async def connect_until_up(settings: Settings) -> Client:
    """Connect to Temporal, retrying with a growing delay (up to 30 s) until it answers."""
    delay = settings.worker.connect_retry_seconds
    while True:
        try:
            return await connect_temporal(settings, lazy=False)
        except RuntimeError as exc:  # the SDK's "Failed client connect" (the bridge's error type)
            if delay <= 0:
                raise
            log.warning("Temporal at %s is not reachable (%s); retrying in %.0f s",
                        settings.temporal.address, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY_SECONDS)
