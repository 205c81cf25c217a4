"""Alembic environment: runs the migrations on the connection ``store.migrate`` hands in."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import store.models  # noqa: F401 - registers every table on the metadata
from store.base import Base

target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through store.migrate (clarion migrate), not the alembic CLI")
run_migrations(connection)
