"""Run Alembic migrations programmatically on an async engine (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` to ``revision``."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)


def _revision(connection: Connection, message: str) -> None:
    command.revision(alembic_config(connection), message=message, autogenerate=True)


async def autogenerate(engine: AsyncEngine, message: str) -> None:
    """Write a new migration from the difference between the models and ``engine``'s schema."""
    async with engine.begin() as conn:
        await conn.run_sync(_revision, message)
