"""The resources container: what every request handler may use, opened once per API process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter

from api.parallels.hub import Hub
from core.settings import Settings
from store.engine import Sessions, create_engine, make_sessions
from store.realtime import RealtimeBus, make_bus


@dataclass
class Services:
    settings: Settings
    sessions: Sessions
    temporal: Client
    # Real-time events (sockets, long-poll wake-ups); see store/realtime/bus.py.
    bus: RealtimeBus
    # The WebSocket hub of this process (api/parallels/hub), fed by ``bus``.
    hub: Hub


async def connect_temporal(settings: Settings, *, lazy: bool = True) -> Client:
    # Lazy by default: the API starts (and /ready reports it) even while Temporal is still coming up.
    return await Client.connect(
        settings.temporal.address,
        namespace=settings.temporal.namespace,
        data_converter=pydantic_data_converter,
        lazy=lazy,
        # Traces cross into workflows and activities (a worker takes its client's interceptors too).
        interceptors=[TracingInterceptor()] if settings.observability.otlp_endpoint else [],
    )


@asynccontextmanager
async def open_resources(
    settings: Settings, *, temporal: Client | None = None, sessions: Sessions | None = None,
    bus: RealtimeBus | None = None,
) -> AsyncIterator[Services]:
    engine = None
    if sessions is None:
        engine = create_engine(
            settings.database_url, echo=settings.database.echo, pool_size=settings.database.pool_size
        )
        sessions = make_sessions(engine)
    client = temporal or await connect_temporal(settings)
    # A bus handed in (embedded mode, tests) is started and closed by its owner.
    own_bus = bus is None
    bus = bus or make_bus(settings.realtime_bus, database_url=settings.database_url, redis_url=settings.redis_url)
    hub = Hub(bus=bus, sessions=sessions, settings=settings.hub)
    try:
        if own_bus:
            await bus.start()
        await hub.start()
        yield Services(settings=settings, sessions=sessions, temporal=client, bus=bus, hub=hub)
    finally:
        await hub.close()
        if own_bus:
            await bus.close()
        if engine is not None:
            await engine.dispose()
