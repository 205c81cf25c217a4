"""A transaction cancelled mid-statement must not leave SQLite's write lock taken."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from contextlib import suppress
from pathlib import Path

from sqlalchemy import text

from store.engine import create_engine, make_sessions

# Ordering five million generated rows takes the thread a second before the first row comes back,
# so the cancel lands while the statement runs.
SLOW_SELECT = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 5000000) "
               "SELECT x FROM c ORDER BY x DESC")


def write_lock_free(path: Path) -> bool:
    other = sqlite3.connect(path, timeout=0.05)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


async def test_a_cancelled_statement_releases_the_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "clarion.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    sessions = make_sessions(engine)
    started = asyncio.Event()

    async def write_then_read() -> None:
        async with sessions() as session, session.begin():
            await session.execute(text("INSERT INTO t (v) VALUES ('x')"))  # takes the write lock
            started.set()
            await session.execute(text(SLOW_SELECT))

    task = asyncio.create_task(write_then_read())
    await started.wait()
    await asyncio.sleep(0.2)
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
    # The statement's thread finishes on its own; give it the time, then the lock must be free.
    deadline = time.monotonic() + 5
    while not await asyncio.to_thread(write_lock_free, path):
        assert time.monotonic() < deadline, "the cancelled transaction still holds SQLite's write lock"
        await asyncio.sleep(0.1)
    async with sessions() as session, session.begin():  # and the rows it wrote were rolled back
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
    await engine.dispose()
