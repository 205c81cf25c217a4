"""The receivers of a chaos run (bench/chaos.py): an SMTP server, a webhook receiver, live inbox clients,
and a private Redis for the real-time bus.

What each counts:
- ``SmtpSink``: every accepted message, by recipient, transactionId (the Subject) and Message-ID.
- ``WebhookReceiver``: every POST, by its ``webhook-id`` (stable across retries, the receiver's idempotency
  key) and the transactionId of its body; a second POST with a seen ``webhook-id`` is a duplicate.
- ``InboxClients``: one plain WebSocket (``/v1/inbox/socket``, as ``@novu/js`` in "cloud" mode) per watched
  subscriber. A message counts as delivered to the client when a ``notification_received`` frame carries it
  (``live``), or, as the Inbox guarantees it, when the client re-fetches its feed after a reconnect and
  finds it (``refetched``): live events are not replayed, a reconnecting Inbox reloads its list. A message
  neither seen live nor re-fetched is lost to the client; a message id seen live twice is duplicated.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class Received:
    to: str
    tx: str
    message_id: str


class SmtpSink:
    """A real SMTP server's handler (aiosmtpd) that records every accepted message."""

    def __init__(self) -> None:
        self.received: list[Received] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content)
        for rcpt in envelope.rcpt_tos:
            self.received.append(Received(rcpt.lower(), str(mail["Subject"]), str(mail["Message-ID"])))
        return "250 OK"


class WebhookReceiver:
    """A local HTTP endpoint (uvicorn in this process) recording each webhook by ``webhook-id``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.by_id: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)  # id -> [(sub, tx)]
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                     lifespan="off"))
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ClientDisconnect:  # a worker killed mid-request: the webhook did not arrive
            return Response(status_code=400)
        data = body.get("data", {})
        self.by_id[request.headers.get("webhook-id", "")].append((str(data.get("sub")), str(data.get("tx"))))
        return Response(status_code=204)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task

    def pairs(self) -> collections.Counter[tuple[str, str]]:
        """(subscriber, transactionId) of each distinct webhook id: a pair twice is a double send under two ids."""
        return collections.Counter(calls[0] for calls in self.by_id.values())


@dataclass
class InboxClient:
    subscriber: str
    token: str
    live: collections.Counter[str] = field(default_factory=collections.Counter)  # transactionId -> frames
    refetched: set[str] = field(default_factory=set)
    reconnects: int = 0


class InboxClients:
    """Live inbox sockets of watched subscribers that reconnect (and re-fetch their feed) when cut."""

    def __init__(self, api_url: str, subscribers: list[str]) -> None:
        self.api_url, self.subscribers = api_url, subscribers
        self.clients: list[InboxClient] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()

    async def start(self, http: httpx.AsyncClient, application_identifier: str) -> None:
        for sub in self.subscribers:
            body = {"applicationIdentifier": application_identifier, "subscriberId": sub}
            token = (await http.post(f"{self.api_url}/v1/inbox/session", json=body)).json()["data"]["token"]
            self.clients.append(InboxClient(sub, token))
        self._tasks = [asyncio.create_task(self._run(c)) for c in self.clients]

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, client: InboxClient) -> None:
        ws_url = self.api_url.replace("http", "ws", 1) + f"/v1/inbox/socket?token={client.token}"
        first = True
        while not self._stop.is_set():
            try:
                async with websockets.connect(ws_url, open_timeout=10, ping_interval=5, ping_timeout=10) as ws:
                    if not first:  # what a reconnecting Inbox does: reload its list
                        client.reconnects += 1
                        await self._refetch(client)
                    first = False
                    async for frame in ws:
                        event = json.loads(frame)
                        if event.get("event") == "notification_received":
                            client.live[str(event["data"]["message"]["transactionId"])] += 1
            except (TimeoutError, OSError, websockets.WebSocketException, httpx.HTTPError, KeyError):
                pass
            first = False
            await asyncio.sleep(0.5)

    async def _refetch(self, client: InboxClient) -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            page = await http.get(f"{self.api_url}/v1/inbox/notifications", params={"limit": 100},
                                  headers={"Authorization": f"Bearer {client.token}"})
            if page.status_code == 200:
                client.refetched |= {str(item.get("transactionId")) for item in page.json().get("data", [])}


class PrivateRedis:
    """A redis-server of this run only (no persistence), restartable without touching anyone else's."""

    name = "redis"

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.proc: subprocess.Popen[bytes] | None = None

    def tail(self) -> str:
        return "\n".join((self.folder / "redis.log").read_text(errors="replace").splitlines()[-20:])

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.folder)]
        with (self.folder / "redis.log").open("ab") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"
