"""What the management CLI does, one function per command."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from store import inbox_sessions, tenancy
from store.crypto import CredentialCipher
from store.engine import create_engine, make_sessions


@asynccontextmanager
async def _session(settings: Settings) -> AsyncIterator[AsyncSession]:
    engine = create_engine(settings.database_url)
    try:
        async with make_sessions(engine)() as session, session.begin():
            yield session
    finally:
        await engine.dispose()


async def create_key(settings: Settings, environment: str, name: str, scopes: list[str]) -> str:
    async with _session(settings) as session:
        envs = await tenancy.list_environments(session=session)
        matches = [e for e in envs if environment in (str(e.id), e.slug)]
        if len(matches) != 1:
            raise SystemExit(f"no single environment matches {environment!r} ({len(matches)} found)")
        seal = CredentialCipher(settings.secret_key.get_secret_value()).seal_secret
        issued = await tenancy.create_key(
            session=session, name=name, environment=matches[0], scopes=scopes, seal=seal
        )
        return issued.raw


async def list_keys(settings: Settings) -> list[str]:
    async with _session(settings) as session:
        rows = await tenancy.list_keys(session=session)
        return [
            f"{k.id}  {k.prefix}…  {k.name:<16} env={k.environment_id} scopes={','.join(k.scopes)}"
            f"{'  REVOKED' if k.revoked_at else ''}"
            for k in rows
        ]


async def revoke_key(settings: Settings, key_id: uuid.UUID) -> bool:
    async with _session(settings) as session:
        return await tenancy.revoke_key(session=session, key_id=key_id)


async def list_environments(settings: Settings) -> list[str]:
    async with _session(settings) as session:
        lines = []
        for e in await tenancy.list_environments(session=session):
            # The Inbox's applicationIdentifier is issued on first use, so listing shows it for every environment.
            identifier = await inbox_sessions.application_identifier(session=session, env=e)
            hmac = "hmac" if inbox_sessions.hmac_required(e) else "no-hmac"
            lines.append(f"{e.id}  {e.slug:<12} app={identifier}  {hmac:<7}  {e.name}")
        return lines
