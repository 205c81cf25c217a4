"""A server for ``websocket.py``: ``clarion`` (the hub under uvicorn) or ``bare`` (a websockets broadcast).

Prints its port on the first line. Both accept ``GET /publish?n=&size=`` (clarion: over HTTP; bare: a
control socket sending ``publish n size``) and then send ``n`` events of ``size`` bytes to every socket.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import tempfile
from pathlib import Path

import uvloop
from fastapi import Request

STREAM = "stream.message.published"


async def bare() -> None:
    import websockets
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    clients: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        if ws.request is not None and ws.request.path.startswith("/control"):
            async for text in ws:
                _, n, size = str(text).split()
                for i in range(int(n)):
                    broadcast(clients, json.dumps({"event_type": STREAM, "body": {"n": i, "pad": "x" * int(size)}}))
                    await asyncio.sleep(0)
                await ws.send("done")
            return
        clients.add(ws)
        await ws.send(json.dumps({"event_type": "global", "message": "welcome"}))
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    sock = socket.create_server(("127.0.0.1", 0))
    async with serve(handler, sock=sock, max_queue=None):
        print(sock.getsockname()[1], flush=True)
        await asyncio.Future()
    del websockets


async def clarion() -> None:
    import uvicorn

    from api.app import create_app
    from core.settings import ApiSettings, HubSettings, Settings
    from store import tenancy
    from store.engine import create_engine, make_sessions
    from store.migrate import upgrade
    from store.realtime import MemoryBus

    folder = Path(tempfile.mkdtemp(prefix="clarion-ws-bench-"))
    engine = create_engine(f"sqlite+aiosqlite:///{folder / 'clarion.db'}")
    await upgrade(engine)
    sessions = make_sessions(engine)
    async with sessions() as session, session.begin():
        org = await tenancy.get_or_create_organization(session=session, slug="o", name="O")
        project = await tenancy.get_or_create_project(session=session, organization_id=org.id, slug="p", name="P")
        env = await tenancy.get_or_create_environment(session=session, project=project, slug="e", name="E")
        key = (await tenancy.create_key(session=session, name="bench", environment=env, scopes=["ws:subscribe"])).raw
    bus = MemoryBus()
    settings = Settings(mode="dev", hub=HubSettings(max_connections_per_credential=100_000),
                        api=ApiSettings(rate_limit_per_minute=0))  # thousands of handshakes with one key
    app = create_app(settings, sessions=sessions, temporal=object(), bus=bus)  # type: ignore[arg-type]

    async def publish(request: Request) -> dict[str, int]:
        n, size = int(request.query_params["n"]), int(request.query_params["size"])
        for i in range(n):
            await bus.publish(env.id, STREAM, {"n": i, "pad": "x" * size}, message="STREAM_MESSAGE_PUBLISHED")
            await asyncio.sleep(0)
        return {"published": n}

    app.add_api_route("/publish", publish, methods=["GET"])
    sock = socket.create_server(("127.0.0.1", 0), backlog=2048)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="websockets-sansio", ws_max_queue=4096))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.05)
    print(sock.getsockname()[1], key, flush=True)
    await serving


if __name__ == "__main__":
    # Both servers on uvloop, the loop ``clarion api`` runs on (uvicorn's "auto" loop picks it).
    uvloop.run(bare() if sys.argv[1] == "bare" else clarion())
