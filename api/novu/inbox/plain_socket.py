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

router = APIRouter()
UNAUTHORIZED = 4401


@router.websocket("/v1/inbox/socket")
async def plain_socket(websocket: WebSocket) -> None:
    sockets: InboxSockets = websocket.app.state.inbox_sockets
    target = await sockets.authorize(websocket.query_params.get("token", ""), websocket.headers.get("origin"))
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
