"""Shared fixtures: a migrated database per test on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from store.engine import create_engine
from store.migrate import upgrade

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--postgres-url", default=os.environ.get("CLARION_TEST_POSTGRES_URL", DEFAULT_PG))


async def _pg_reachable(url: str) -> str | None:
    try:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"), timeout=3)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    """A freshly migrated database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "clarion.db"
        eng = create_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(eng)
        yield eng
        await eng.dispose()
        return
    url = request.config.getoption("--postgres-url")
    problem = await _pg_reachable(url)
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {url} is unreachable in CI: {problem}")
        pytest.skip(f"PostgreSQL at {url} is unreachable: {problem}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    eng = create_engine(url, schema=schema, pool_size=2)
    try:
        await upgrade(eng)
        yield eng
    finally:
        await eng.dispose()
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()
