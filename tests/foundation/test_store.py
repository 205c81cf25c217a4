"""Migrations and tenancy queries, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from store import tenancy
from store.base import Base
from store.engine import make_sessions


async def test_migrations_match_the_models(engine):
    def diff(conn):
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"organizations", "projects", "environments", "api_keys", "messages"} <= tables


async def test_keys_are_hashed_scoped_and_revocable(engine):
    sessions = make_sessions(engine)
    async with sessions() as session, session.begin():
        org = await tenancy.get_or_create_organization(session=session, slug="acme", name="Acme")
        project = await tenancy.get_or_create_project(session=session, organization_id=org.id, slug="p", name="P")
        env = await tenancy.get_or_create_environment(session=session, project=project, slug="dev", name="Dev")
        again = await tenancy.get_or_create_environment(session=session, project=project, slug="dev", name="Dev")
        assert again.id == env.id
        issued = await tenancy.create_key(session=session, name="k", environment=env)
        narrow = await tenancy.create_key(session=session, name="n", environment=env, scopes=["topic:consume"])
    assert issued.row.key_hash != issued.raw and issued.raw not in issued.row.key_hash
    assert issued.row.scopes == ["*"] and narrow.row.scopes == ["topic:consume"]
    async with sessions() as session, session.begin():
        found = await tenancy.find_key(session=session, raw=issued.raw)
        assert found is not None and found.environment_id == env.id
        assert await tenancy.find_key(session=session, raw=issued.raw + "x") is None
        assert await tenancy.revoke_key(session=session, key_id=issued.row.id)
        assert not await tenancy.revoke_key(session=session, key_id=issued.row.id)
    async with sessions() as session:
        assert await tenancy.find_key(session=session, raw=issued.raw) is None
