"""One socket's life after the handshake: the welcome, a reader and a writer, then the close."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import WebSocket

from api.json_body import JsonBodyError, parse_json
from api.parallels.hub import catalogue
from api.parallels.hub.client import HubClient, frame
from api.parallels.hub.hub import Hub
from store.base import utcnow


def welcome(client: HubClient, ignored: list[str]) -> str:
    body = {"client_id": client.id, "subscriptions": client.subscriptions, "ignored": ignored,
            "subscriber_id": client.subscriber_id}
    return frame(catalogue.GLOBAL, "WebSocket connection established subscribed to global by default", body,
                 client_id=client.id)


async def serve(websocket: WebSocket, hub: Hub, client: HubClient, ignored: list[str]) -> None:
    await websocket.accept()
    await websocket.send_text(welcome(client, ignored))
    await hub.add(client)
    client.writer = asyncio.create_task(_write(websocket, client))
    client.send = websocket.send_text  # events are sent in place while the writer is idle (HubClient.deliver)
    tasks = [asyncio.create_task(_read(websocket, hub, client)), client.writer]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await hub.remove(client)
        if client.close_code is not None:
            with contextlib.suppress(Exception):
                await websocket.close(client.close_code, reason=client.close_reason or None)


async def _read(websocket: WebSocket, hub: Hub, client: HubClient) -> None:
    limit = hub.settings.max_frame_bytes
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            client.close(1000)
            return
        data = message.get("text")
        if data is None:
            raw = message.get("bytes") or b""
            size = len(raw)
            data = raw.decode("utf-8", "replace")
        else:
            size = len(data.encode())
        client.last_pong_at = utcnow()  # any frame proves the client is alive
        if size > limit:
            client.close(1009, f"frame larger than {limit} bytes")
            return
        try:
            answer = reply(client, data)
        except FrameRefused as refused:
            client.close(1007, str(refused))  # RFC 6455: data inconsistent with the message type
            return
        client.offer(answer)


class FrameRefused(ValueError):
    """A frame that is JSON but unusable (too deep, lone surrogates): the socket is closed with why."""


def reply(client: HubClient, text: str) -> str:
    """The answer to one client frame (event-apis.md §3.5)."""
    try:
        request: Any = parse_json(text)
    except JsonBodyError as exc:
        if exc.structural:
            raise FrameRefused(f"the frame {exc.reason}") from None
        return _error(client, "invalid JSON")
    if not isinstance(request, dict):
        return _error(client, "a frame must be a JSON object")
    ref = str(request.get("id")) if request.get("id") is not None else None
    kind, message = str(request.get("event_type", "")).lower(), str(request.get("message", "")).lower()
    if kind == catalogue.HEALTH and message == "ping":
        client.last_ping_at = utcnow()
        return frame(catalogue.HEALTH, "pong", client_id=client.id, ref_id=ref)
    if kind == catalogue.SYSTEM and message == "client-id":
        return frame(catalogue.SYSTEM, "client-id", {"client-id": client.id}, client_id=client.id, ref_id=ref)
    if kind in (catalogue.HEALTH, catalogue.SYSTEM):
        return _error(client, f"unknown message {request.get('message')!r} for {kind}", ref)
    return _error(client, f"unknown event type {request.get('event_type')!r}", ref)


def _error(client: HubClient, text: str, ref: str | None = None) -> str:
    return frame(catalogue.GLOBAL, "error", {"error": text}, client_id=client.id, ref_id=ref)


async def _write(websocket: WebSocket, client: HubClient) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await client.wake.wait()
        client.wake.clear()
        if client.in_flight is not None:  # a send begun in place that had to wait
            await client.in_flight
            client.in_flight = None
            client.messages_sent += 1
        while client.close_code is None and client.queue:
            if client.dropped_since_notice:
                body = {"dropped": client.dropped_since_notice, "total_dropped": client.dropped}
                client.dropped_since_notice = 0
                text = frame(catalogue.GLOBAL, "MESSAGES_DROPPED", body, client_id=client.id)
            else:
                text = client.queue.popleft()
            # The hub's watchdog (Hub._stalled) closes the socket when one send outlasts the write
            # timeout: a timestamp per frame, where a timeout scope per frame cost a timer each.
            client.sending_since = loop.time()
            await websocket.send_text(text)
            client.messages_sent += 1
        client.sending_since = None
        if client.close_code is not None:
            return
