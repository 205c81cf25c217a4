"""Long-running entry points: the API server, the worker, and migrations."""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import NoReturn

import uvicorn
from fastapi import FastAPI

from core.settings import Settings
from store.engine import create_engine
from store.migrate import upgrade
from store.realtime import RealtimeBus, make_bus

from .observability.logs import setup_logging
from .observability.metrics import install_worker_metrics
from .observability.tracing import instrument_app, setup_tracing


def freeze_startup_heap() -> None:
    """Take what start-up built (modules, routes, models, the workflow sandbox's imports) out of the
    cyclic collector's reach: a full collection then scans only what requests and activities made,
    where it scanned some 300 000 start-up objects each time (a 1 000-recipient explain spent about
    40 % of its CPU in collections)."""
    gc.collect()
    gc.freeze()


def _frozen_after_startup(app: FastAPI) -> FastAPI:
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with inner(a):
            freeze_startup_heap()
            yield

    app.router.lifespan_context = lifespan
    return app


async def migrate_database(settings: Settings) -> None:
    if settings.database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def _with_embedded_worker(app: FastAPI, settings: Settings, bus: RealtimeBus) -> FastAPI:
    """Run a worker inside the API process, sharing its in-process real-time bus (embedded mode:
    on SQLite there is no LISTEN/NOTIFY, so worker events reach sockets only this way)."""
    from .worker import open_worker

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        await bus.start()
        try:
            async with inner(a), open_worker(settings, bus=bus):
                yield
        finally:
            await bus.close()

    app.router.lifespan_context = lifespan
    return app


def serve_api(settings: Settings, *, with_worker: bool = False) -> None:
    from api.app import create_app

    setup_logging(settings)
    tracing = setup_tracing(settings.observability, component="api")
    if with_worker:
        # The embedded worker's metrics are on the API's /metrics; the SDK's have their own port.
        install_worker_metrics(settings.observability, serve=False)
        bus = make_bus(settings.realtime_bus, database_url=settings.database_url, redis_url=settings.redis_url)
        app = _with_embedded_worker(create_app(settings, bus=bus), settings, bus)
    else:
        app = create_app(settings)
    if tracing is not None:
        instrument_app(app)
    uvicorn.run(
        _frozen_after_startup(app),
        host=settings.api.host,
        port=settings.api.port,
        log_level=settings.log_level,
        log_config=None,  # uvicorn's loggers go through the root handler of setup_logging (JSON or text)
        access_log=False,
        # RFC 6455 liveness of hub sockets: a ping every 30 s, closed when no pong came within 45 s of it.
        ws_ping_interval=settings.hub.ping_seconds,
        ws_ping_timeout=max(1.0, settings.hub.pong_timeout_seconds - settings.hub.ping_seconds),
        ws_max_size=settings.hub.max_frame_bytes * 4,
    )


async def run_worker(settings: Settings) -> None:
    from .worker import open_worker

    setup_logging(settings)
    faulthandler.enable()  # a native crash (the SDK's Rust core, a C extension) leaves its Python stack in the log
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tracing = setup_tracing(settings.observability, component="worker")
    metrics = install_worker_metrics(settings.observability)
    try:
        async with open_worker(settings) as worker:
            freeze_startup_heap()
            logging.getLogger(__name__).info("worker polling task queue %r", worker.task_queue)
            await stop.wait()
    finally:
        if metrics is not None:
            metrics.close()
        if tracing is not None:
            tracing.shutdown()  # exit_drained skips atexit hooks: the last spans are exported here
    # Leaving the block drained in-flight activities; a second signal is the default (immediate) exit.


def exit_drained() -> NoReturn:
    """Leave a worker process whose activities are drained without interpreter finalization.

    The Temporal SDK's Rust runtime keeps native threads that may still touch Python objects while the
    interpreter tears itself down; a SIGTERM-ed worker then occasionally died of SIGSEGV after a clean
    drain, which an orchestrator reads as a crash. Nothing is left to run once the worker is drained,
    so the logs are flushed and the process ends with status 0 at once.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
