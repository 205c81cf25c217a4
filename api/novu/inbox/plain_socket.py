"""Novu's plain-WebSocket ("cloud", PartySocket) variant of the Inbox's live socket, at ``/v1/inbox/socket``.

``@novu/js`` uses it when given ``socketOptions: {socketType: "cloud"}``: the token is in the query,
frames are JSON ``{event, data}`` with the same events and bodies as the socket.io endpoint, and the
client's ``ping`` keep-alive is answered with ``pong``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from api.novu.inbox.live import InboxSockets
from api.outages import is_database_outage

router = APIRouter()
UNAUTHORIZED = 4401
TRY_AGAIN_LATER = 1013  # RFC 6455 §7.4.1: the client should reconnect later


@router.websocket("/v1/inbox/socket")
async def plain_socket(websocket: WebSocket) -> None:
    sockets: InboxSockets = websocket.app.state.inbox_sockets
    try:
        target = await sockets.authorize(websocket.query_params.get("token", ""), websocket.headers.get("origin"))
    except Exception as exc:
        if not is_database_outage(exc):
            raise
        await websocket.accept()
        await websocket.close(code=TRY_AGAIN_LATER, reason="database unavailable; retry shortly")
        return
    await websocket.accept()  # then close with a code, which a browser can read (a refused handshake has none)
    if target is None:
        await websocket.close(code=UNAUTHORIZED, reason="unauthorized")
        return
    queue = sockets.attach(target)

    async def pump() -> None:
        while True:
            await websocket.send_text(json.dumps(await queue.get()))

    sending = asyncio.create_task(pump())
    try:
        while True:
            text = await websocket.receive_text()
            if text == "ping":
                await websocket.send_text("pong")
    except WebSocketDisconnect:
        pass
    finally:
        sockets.detach(target, queue)
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sending
