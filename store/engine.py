"""Engines and session factories for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext import asyncio as sa_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

Sessions = async_sessionmaker[AsyncSession]


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, echo: bool = False, pool_size: int = 10, schema: str | None = None) -> AsyncEngine:
    """An async engine; ``schema`` pins PostgreSQL's search_path (tests use one schema each)."""
    kwargs: dict[str, Any] = {"echo": echo}
    if is_sqlite(url):
        # WAL lets the API read while the worker writes; the timeout rides out the writer lock.
        kwargs["connect_args"] = {"timeout": 30, "factory": _ReleasingConnection}
    else:
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = pool_size
        kwargs["pool_pre_ping"] = True
        if schema:
            kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
    # Looked up on the module at each call, so an instrumentation installed later wraps it (database spans).
    engine = sa_asyncio.create_async_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


class _ReleasingConnection(sqlite3.Connection):
    """Rolls back before it closes, so a closed connection never keeps the write lock.

    A task cancelled while a statement runs (an activity's lost heartbeat, a shutdown) leaves that
    statement open on its cursor, which its traceback keeps alive; SQLAlchemy then closes the
    connection, and SQLite defers closing one with an open statement until the statement is
    finalised, keeping its transaction and the write lock for as long as the garbage lives (seconds to
    minutes: every other writer timed out). ROLLBACK ends the transaction even with statements open.
    """

    def close(self) -> None:
        if self.in_transaction:
            with suppress(sqlite3.Error):
                self.rollback()
        super().close()


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_sessions(engine: AsyncEngine) -> Sessions:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(*, session: AsyncSession) -> None:
    """One trivial round trip: raises when the database does not answer."""
    await session.execute(text("SELECT 1"))


# Per SQLite engine: the loop its lock belongs to, and the lock (an asyncio.Lock serves one loop).
_WRITERS: weakref.WeakKeyDictionary[Engine, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


@asynccontextmanager
async def writer_turn(session: AsyncSession) -> AsyncIterator[None]:
    """On SQLite, one write transaction at a time per engine and event loop; elsewhere nothing.

    SQLite has one writer: a transaction that finds the write lock taken sleeps in the busy handler in
    steps of 1 to 100 ms, far longer than a short append holds it. Queuing the process's own hot
    writers here hands the lock over without those sleeps (other processes still meet the busy handler).
    """
    bind = session.bind
    engine = bind.sync_engine if bind is not None and bind.dialect.name == "sqlite" else None
    if engine is None:
        yield
        return
    loop = asyncio.get_running_loop()
    owner = _WRITERS.get(engine)
    if owner is None or owner[0] is not loop:
        owner = (loop, asyncio.Lock())
        _WRITERS[engine] = owner
    async with owner[1]:
        yield
