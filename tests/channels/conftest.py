"""Real local servers the channel tests deliver to: an HTTP recorder and an SMTP recorder.

Everything shared lives here, as fixtures, so no test module imports another (the suite then
does not depend on how pytest names test packages).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Recorded:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class HttpRecorder:
    """A tiny HTTP/1.1 server on asyncio streams: records every request, answers what it is told."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._replies: dict[str | None, list[Reply]] = {}
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reply(
        self,
        status: int = 200,
        *,
        json_body: Any = None,
        text: str = "",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        path: str | None = None,
        times: int = 0,
    ) -> None:
        """Answer requests to ``path`` (or any path) this way; ``times=0`` means from now on."""
        body = json.dumps(json_body).encode() if json_body is not None else text.encode()
        all_headers = {"content-type": "application/json" if json_body is not None else "text/plain"}
        all_headers.update(headers or {})
        reply = Reply(status, body, all_headers, delay)
        queue = self._replies.setdefault(path, [])
        if times:
            queue[:0] = [reply] * times
        else:
            queue[:] = [reply]

    def _next_reply(self, path: str) -> Reply:
        for key in (path, None):
            queue = self._replies.get(key)
            if queue:
                return queue.pop(0) if len(queue) > 1 else queue[0]
        return Reply(200, b"ok", {"content-type": "text/plain"})

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_connect, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while await self._serve_one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        recorded = Recorded(method, target, headers, body)
        self.requests.append(recorded)
        reply = self._next_reply(recorded.path)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        reason = "Whatever"
        out = [f"HTTP/1.1 {reply.status} {reason}", f"content-length: {len(reply.body)}"]
        out += [f"{k}: {v}" for k, v in reply.headers.items()]
        writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + reply.body)
        await writer.drain()
        return headers.get("connection", "").lower() != "close"


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class SmtpRecorder:
    """aiosmtpd handler: records mail; recipients starting with ``bad`` get 550, ``grey`` get 450."""

    def __init__(self) -> None:
        self.received: list[ReceivedMail] = []
        self.data_reply: str | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.startswith("bad"):
            return "550 5.1.1 no such user"
        if address.startswith("grey"):
            return "450 4.2.0 greylisted, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        assert envelope.mail_from is not None and isinstance(envelope.content, bytes)
        self.received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


@pytest.fixture
async def http_server() -> AsyncIterator[HttpRecorder]:
    server = HttpRecorder()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def smtp_recorder() -> SmtpRecorder:
    return SmtpRecorder()


@pytest.fixture
def smtp_server(smtp_recorder: SmtpRecorder) -> Iterator[Controller]:
    controller = Controller(smtp_recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on (bound once, then released)."""
    return free_port()
