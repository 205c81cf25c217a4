"""Queries over organizations, projects, environments and API keys."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.models import ApiKey, Environment, Organization, Project

KEY_PREFIX = "ck_"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class IssuedKey:
    """A key as created: ``raw`` is shown once and never stored."""

    row: ApiKey
    raw: str


async def get_organization(*, session: AsyncSession, organization_id: uuid.UUID) -> Organization | None:
    """The organization with this id, if any."""
    return await session.get(Organization, organization_id)


async def get_organization_by_slug(*, session: AsyncSession, slug: str) -> Organization | None:
    """The organization with this slug, if any."""
    return await session.scalar(select(Organization).where(Organization.slug == slug))


async def get_or_create_organization(*, session: AsyncSession, slug: str, name: str) -> Organization:
    org = await get_organization_by_slug(session=session, slug=slug)
    if org is None:
        org = Organization(slug=slug, name=name)
        session.add(org)
        await session.flush()
    return org


async def get_project(*, session: AsyncSession, project_id: uuid.UUID) -> Project | None:
    """The project with this id, if any."""
    return await session.get(Project, project_id)


async def get_project_by_slug(*, session: AsyncSession, organization_id: uuid.UUID, slug: str) -> Project | None:
    """The organization's project with this slug, if any."""
    return await session.scalar(
        select(Project).where(Project.organization_id == organization_id, Project.slug == slug)
    )


async def get_or_create_project(*, session: AsyncSession, organization_id: uuid.UUID, slug: str, name: str) -> Project:
    project = await get_project_by_slug(session=session, organization_id=organization_id, slug=slug)
    if project is None:
        project = Project(organization_id=organization_id, slug=slug, name=name)
        session.add(project)
        await session.flush()
    return project


async def get_environment_by_slug(*, session: AsyncSession, project_id: uuid.UUID, slug: str) -> Environment | None:
    """The project's environment with this slug, if any."""
    return await session.scalar(
        select(Environment).where(Environment.project_id == project_id, Environment.slug == slug)
    )


async def get_or_create_environment(*, session: AsyncSession, project: Project, slug: str, name: str) -> Environment:
    env = await get_environment_by_slug(session=session, project_id=project.id, slug=slug)
    if env is None:
        env = Environment(
            organization_id=project.organization_id,
            project_id=project.id,
            slug=slug,
            name=name,
            settings={"isSchemaValidationEnabled": True},
        )
        session.add(env)
        await session.flush()
    return env


async def get_environment(*, session: AsyncSession, environment_id: uuid.UUID) -> Environment | None:
    return await session.get(Environment, environment_id)


async def list_environments(*, session: AsyncSession) -> Sequence[Environment]:
    return (await session.scalars(select(Environment).order_by(Environment.created_at))).all()


async def environments_within(
    *, session: AsyncSession, organization_id: uuid.UUID, project_id: uuid.UUID | None,
    environment_id: uuid.UUID | None,
) -> list[Environment]:
    """The environments a binding covers, oldest first: the narrowest of environment, project, organization."""
    query = select(Environment).order_by(Environment.created_at)
    if environment_id is not None:
        query = query.where(Environment.id == environment_id)
    elif project_id is not None:
        query = query.where(Environment.project_id == project_id)
    else:
        query = query.where(Environment.organization_id == organization_id)
    return list(await session.scalars(query))


async def create_key(
    *,
    session: AsyncSession,
    name: str,
    environment: Environment | None = None,
    scopes: Sequence[str] | None = None,
    raw: str | None = None,
    organization_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    seal: Callable[[str], str] | None = None,
) -> IssuedKey:
    """Create a key bound to ``environment``, or else to ``project_id`` / ``organization_id``
    (those keys choose their environment per request); ``raw`` lets dev mode pin a known demo key.
    ``seal`` keeps the raw key encrypted too, so the Inbox can check Novu's subscriberHash (an HMAC keyed with it)."""
    if environment is not None:
        organization_id, project_id = environment.organization_id, environment.project_id
    if organization_id is None:
        raise ValueError("a key is bound to an environment, a project or an organization")
    raw = raw or generate_key()
    row = ApiKey(
        name=name,
        key_hash=hash_key(raw),
        prefix=raw[:10],
        scopes=list(scopes) if scopes else ["*"],
        organization_id=organization_id,
        project_id=project_id,
        environment_id=environment.id if environment is not None else None,
        sealed_key=seal(raw) if seal is not None and environment is not None else None,
    )
    session.add(row)
    await session.flush()
    return IssuedKey(row=row, raw=raw)


async def find_key(*, session: AsyncSession, raw: str) -> ApiKey | None:
    """The live (not revoked) key whose hash matches ``raw``."""
    return await session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(raw), ApiKey.revoked_at.is_(None)))


async def list_keys(*, session: AsyncSession, environment_id: uuid.UUID | None = None) -> Sequence[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.created_at)
    if environment_id is not None:
        query = query.where(ApiKey.environment_id == environment_id)
    return (await session.scalars(query)).all()


async def live_keys_within(
    *, session: AsyncSession, organization_id: uuid.UUID, project_id: uuid.UUID | None,
    environment_id: uuid.UUID | None,
) -> list[ApiKey]:
    """The organization's unrevoked keys, narrowed to the environment if given, else to the project if given."""
    query = select(ApiKey).where(ApiKey.organization_id == organization_id, ApiKey.revoked_at.is_(None))
    if environment_id is not None:
        query = query.where(ApiKey.environment_id == environment_id)
    elif project_id is not None:
        query = query.where(ApiKey.project_id == project_id)
    return list(await session.scalars(query.order_by(ApiKey.created_at, ApiKey.id)))


async def revoke_key(*, session: AsyncSession, key_id: uuid.UUID) -> bool:
    result = await session.execute(
        update(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def touch_key(*, session: AsyncSession, key_id: uuid.UUID) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=utcnow()))
