"""Long-running entry points: the API server, the worker, and migrations."""

from __future__ import annotations

import asyncio
import logging
import signal

import uvicorn

from store.engine import create_engine
from store.migrate import upgrade

from .settings import Settings


async def migrate_database(settings: Settings) -> None:
    if settings.database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def serve_api(settings: Settings) -> None:
    from api.app import create_app

    logging.basicConfig(level=settings.log_level.upper())
    uvicorn.run(
        create_app(settings),
        host=settings.api.host,
        port=settings.api.port,
        log_level=settings.log_level,
        access_log=False,
    )


async def run_worker(settings: Settings) -> None:
    from .worker import open_worker

    logging.basicConfig(level=settings.log_level.upper())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_worker(settings) as worker:
        logging.getLogger(__name__).info("worker polling task queue %r", worker.task_queue)
        await stop.wait()
    # Leaving the block drained in-flight activities; a second signal is the default (immediate) exit.
