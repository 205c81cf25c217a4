"""An API or a worker process for the cross-process hub test: ``python -m tests.hub._process api|worker``.

Configured by environment: HUB_DB_URL, HUB_SCHEMA, HUB_BUS (postgres|redis), HUB_TEMPORAL,
HUB_TASK_QUEUE. The API binds a free port and prints it on the first line of its output.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

import uvicorn

from api.app import create_app
from clarion.worker import open_worker
from core.settings import HubSettings, Settings, TemporalSettings
from store.engine import create_engine, make_sessions
from store.realtime import RealtimeBus
from store.realtime.postgres import PostgresBus
from store.realtime.redis import RedisBus


async def main(role: str) -> None:
    url, schema = os.environ["HUB_DB_URL"], os.environ["HUB_SCHEMA"]
    settings = Settings(
        mode="dev", database={"url": url},  # type: ignore[arg-type]
        temporal=TemporalSettings(address=os.environ["HUB_TEMPORAL"], task_queue=os.environ["HUB_TASK_QUEUE"]),
        hub=HubSettings(credential_check_seconds=0.5, registry_refresh_seconds=1),
    )
    engine = create_engine(url, schema=schema, pool_size=4)
    sessions = make_sessions(engine)
    bus: RealtimeBus = PostgresBus(url, schema=schema) if os.environ["HUB_BUS"] == "postgres" else \
        RedisBus("redis://127.0.0.1:6379/0")
    await bus.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        if role == "worker":
            async with open_worker(settings, sessions=sessions, bus=bus):
                print("ready", flush=True)  # noqa: T201 - the test reads this line
                await stop.wait()
            return
        sock = socket.create_server(("127.0.0.1", 0))
        app = create_app(settings, sessions=sessions, bus=bus)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="websockets-sansio"))
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.05)
        print(sock.getsockname()[1], flush=True)  # noqa: T201 - the test reads the port
        await stop.wait()
        server.should_exit = True
        await serving
    finally:
        await bus.close()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
