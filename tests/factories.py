"""Test data builders shared by the suites."""

from __future__ import annotations

from dataclasses import dataclass

from store import tenancy
from store.engine import Sessions
from store.models import Environment


@dataclass
class Tenancy:
    env_a: Environment
    env_b: Environment
    key_a: str
    key_b: str


async def two_environments(sessions: Sessions, *, slug_a: str = "a") -> Tenancy:
    """One organization and project with environments A and B, each with a ``*`` key."""
    async with sessions() as session, session.begin():
        org = await tenancy.get_or_create_organization(session=session, slug="o", name="O")
        project = await tenancy.get_or_create_project(session=session, organization_id=org.id, slug="p", name="P")
        env_a = await tenancy.get_or_create_environment(session=session, project=project, slug=slug_a, name="A")
        env_b = await tenancy.get_or_create_environment(session=session, project=project, slug="b", name="B")
        key_a = (await tenancy.create_key(session=session, name="a", environment=env_a)).raw
        key_b = (await tenancy.create_key(session=session, name="b", environment=env_b)).raw
    return Tenancy(env_a, env_b, key_a, key_b)
