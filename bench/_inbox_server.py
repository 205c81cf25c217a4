"""A server for ``inbox.py``: ``clarion`` (the API with its socket.io inbox) or ``bare`` (python-socketio alone).

Prints ``port token`` on its first line. ``GET /publish?n=`` sends ``n`` count events to every socket:
``bare`` with ``AsyncServer.emit`` to all; ``clarion`` by publishing ``inbox.unseen_count.changed`` on its
bus, which the inbox socket layer turns into ``unseen_count_changed`` for the subscriber's room (after
reading the count from the database, as it does for real events).
"""

from __future__ import annotations

import asyncio
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request


async def _serve(app: Any, token: str) -> None:
    sock = socket.create_server(("127.0.0.1", 0), backlog=2048)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="websockets-sansio", ws_max_queue=4096))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.05)
    print(sock.getsockname()[1], token, flush=True)
    await serving


async def bare() -> None:
    import socketio

    sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*")
    api = FastAPI()

    @api.get("/publish")
    async def publish(request: Request) -> dict[str, int]:
        n = int(request.query_params["n"])
        for i in range(n):
            await sio.emit("unseen_count_changed", {"unseenCount": i, "hasMore": False})
        return {"published": n}

    await _serve(socketio.ASGIApp(sio, other_asgi_app=api), "-")


async def clarion() -> None:
    from api.app import create_app
    from core.settings import ApiSettings, Settings
    from store import session_tokens, subscribers, tenancy
    from store.engine import create_engine, make_sessions
    from store.migrate import upgrade
    from store.realtime import MemoryBus

    folder = Path(tempfile.mkdtemp(prefix="clarion-inbox-bench-"))
    engine = create_engine(f"sqlite+aiosqlite:///{folder / 'clarion.db'}")
    await upgrade(engine)
    sessions = make_sessions(engine)
    async with sessions() as session, session.begin():
        org = await tenancy.get_or_create_organization(session=session, slug="o", name="O")
        project = await tenancy.get_or_create_project(session=session, organization_id=org.id, slug="p", name="P")
        env = await tenancy.get_or_create_environment(session=session, project=project, slug="development", name="E")
        await subscribers.upsert_many(session=session, environment_id=env.id, profiles={"ada": {}})
        token = (await session_tokens.mint(session=session, environment_id=env.id, subscriber_id="ada")).raw
    bus = MemoryBus()
    app = create_app(Settings(mode="dev", api=ApiSettings(rate_limit_per_minute=0)), sessions=sessions,
                     temporal=object(), bus=bus)  # type: ignore[arg-type]

    async def publish(request: Request) -> dict[str, int]:
        n = int(request.query_params["n"])
        for i in range(n):
            await bus.publish(env.id, "inbox.unseen_count.changed", {"subscriberId": "ada", "unseenCount": i},
                              message="UNSEEN_COUNT_CHANGED", subscriber_id="ada", channel="in_app")
            await asyncio.sleep(0)
        return {"published": n}

    app.add_api_route("/publish", publish, methods=["GET"])
    await _serve(app, token)


if __name__ == "__main__":
    asyncio.run(bare() if sys.argv[1] == "bare" else clarion())
