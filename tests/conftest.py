"""Shared fixtures: a migrated database per test on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from clarion.dev import temporal_binary
from core.run_identity import ALL
from core.settings import Settings
from store.engine import Sessions, create_engine, make_sessions
from store.migrate import upgrade
from tests.factories import Tenancy, two_environments

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DEV_SERVER_ARGS = ["--dynamic-config-value", "history.transferProcessorMaxPollRPS=1000", "--log-level", "error"]


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


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """One Temporal dev server for the whole session, from the installed binary (never a download)."""
    binary, converter = temporal_binary(), pydantic_data_converter
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=binary, data_converter=converter,
                                                search_attributes=ALL, dev_server_extra_args=DEV_SERVER_ARGS)
    yield env
    await env.shutdown()


@dataclass
class NativeApi:
    """An in-process API over a migrated database, with two environments and a key for each."""

    client: httpx.AsyncClient
    app: FastAPI
    sessions: Sessions
    tenancy: Tenancy

    @property
    def headers_a(self) -> dict[str, str]:
        return {"Authorization": f"ApiKey {self.tenancy.key_a}"}

    @property
    def headers_b(self) -> dict[str, str]:
        return {"Authorization": f"ApiKey {self.tenancy.key_b}"}


@pytest.fixture
async def native_api(engine: AsyncEngine) -> AsyncIterator[NativeApi]:
    """The app without Temporal: for routes that only read and write the store."""
    sessions = make_sessions(engine)
    t = await two_environments(sessions)
    app = create_app(Settings(mode="dev"), sessions=sessions, temporal=object())  # type: ignore[arg-type]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield NativeApi(client=client, app=app, sessions=sessions, tenancy=t)
