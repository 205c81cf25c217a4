"""A local SMTP server that keeps every caught email as an ``.eml`` file (dev mode only)."""

from __future__ import annotations

import asyncio
import signal
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope


class MaildirHandler:
    """Writes each message with its envelope recipients to ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        header = f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(header + content)
        tmp.rename(path)  # readers never see half a message
        return "250 Message accepted for delivery"


def run_sink(host: str, port: int, folder: Path) -> None:
    """Serve until SIGINT/SIGTERM."""
    controller = Controller(MaildirHandler(folder), hostname=host, port=port)
    controller.start()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        loop.run_until_complete(stop.wait())
    finally:
        controller.stop()
        loop.close()
