"""Clarion's Bitcaster dialect over uvicorn, with a worker and a Temporal dev server (the Qala fixture's stack)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from clarion.seed import WELCOME_STEPS
from store import subscribers, tenancy, topics
from store import workflows as workflow_store
from store.models import Message, Project
from tests.pipeline.conftest import Mailbox
from tests.qala.conftest import Qala, Receiver, open_qala, receiver, smtp, until

__all__ = ["BASE", "Bitcaster", "Receiver", "bitcaster", "receiver", "smtp", "until"]
BASE = "/api/o/o/p/p/a/a"  # tests.factories.two_environments: organization o, project p, environment a
FINAL = ("COMPLETED", "FAILED")


@dataclass
class Bitcaster:
    """Bitcaster calls (``Authorization: Key``) plus store helpers, over the Qala fixture's stack."""

    q: Qala

    @property
    def env(self) -> uuid.UUID:
        return self.q.env

    async def call(self, method: str, path: str, body: Any = None, key: str | None = "default",
                   raw: bytes | None = None) -> httpx.Response:
        headers = {} if key is None else {"Authorization": f"Key {self.q.key if key == 'default' else key}"}
        content = raw if raw is not None else json.dumps(body).encode() if body is not None else None
        return await self.q.http.request(method, path, content=content, headers=headers)

    async def trigger(self, evt: str, body: Any = None, query: str = "") -> dict[str, Any]:
        response = await self.call("POST", f"{BASE}/e/{evt}/trigger/{query}", body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def occurrence(self, occurrence_id: int, evt: str | None = None) -> dict[str, Any]:
        prefix = f"{BASE}/e/{evt}" if evt else BASE
        response = await self.call("GET", f"{prefix}/occurrences/{occurrence_id}/")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def settled(self, occurrence_id: int) -> dict[str, Any]:
        """The occurrence once its status is final (each read reconciles it with Temporal)."""

        async def final() -> dict[str, Any] | None:
            body = await self.occurrence(occurrence_id)
            return body if body["status"] in FINAL else None

        return dict(await until(final))

    async def workflow(self, identifier: str, name: str, steps: list[dict[str, Any]] | None = None,
                       **values: Any) -> None:
        async with self.q.pipeline.sessions() as session, session.begin():
            await workflow_store.upsert(session=session, environment_id=self.env, identifier=identifier,
                                        values={"name": name, "steps": WELCOME_STEPS if steps is None else steps,
                                                **values})

    async def subscribers(self, profiles: dict[str, dict[str, Any]]) -> None:
        async with self.q.pipeline.sessions() as session, session.begin():
            await subscribers.upsert_many(session=session, environment_id=self.env, profiles=profiles)

    async def topic(self, key: str, types: list[str], members: list[str]) -> None:
        """A topic through the management API (its ``eventTypes``), with members added in the store."""
        await self.q.topic(key, types)
        async with self.q.pipeline.sessions() as session, session.begin():
            topic = await topics.get(session=session, environment_id=self.env, key=key)
            assert topic is not None
            found = await subscribers.get_many(session=session, environment_id=self.env, subscriber_ids=members)
            await topics.add_members(session=session, environment_id=self.env, topic_id=topic.id,
                                     subscriber_pks=[s.id for s in found.values()])

    async def key(self, name: str, scopes: list[str] | None = None, *, environment: bool = True,
                  project: bool = False) -> str:
        """A key of organization ``o``: bound to environment ``a``, to project ``p``, or to the organization."""
        env = self.q.pipeline.tenancy.env_a
        async with self.q.pipeline.sessions() as session, session.begin():
            issued = await tenancy.create_key(
                session=session, name=name, scopes=scopes, environment=env if environment else None,
                organization_id=env.organization_id, project_id=env.project_id if project else None,
            )
        return issued.raw

    async def foreign_key(self) -> str:
        """A ``*`` key of another organization (``o2``), plus a second project ``p3`` in organization ``o``."""
        async with self.q.pipeline.sessions() as session, session.begin():
            org = await tenancy.get_or_create_organization(session=session, slug="o2", name="O2")
            project = await tenancy.get_or_create_project(session=session, organization_id=org.id, slug="p",
                                                          name="P")
            await tenancy.get_or_create_environment(session=session, project=project, slug="a", name="A")
            home = await session.scalar(select(Project).where(Project.id == self.q.pipeline.tenancy.env_a.project_id))
            assert home is not None
            other = await tenancy.get_or_create_project(session=session, organization_id=home.organization_id,
                                                        slug="p3", name="P3")
            await tenancy.get_or_create_environment(session=session, project=other, slug="a", name="A")
            return (await tenancy.create_key(session=session, name="foreign", organization_id=org.id)).raw

    async def messages(self, transaction_id: str) -> list[Message]:
        async with self.q.pipeline.sessions() as session:
            query = select(Message).where(Message.transaction_id == transaction_id).order_by(Message.created_at)
            return list(await session.scalars(query))


@pytest.fixture
async def bitcaster(engine: AsyncEngine, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int]
                    ) -> AsyncIterator[Bitcaster]:
    async with open_qala(engine, temporal_env, smtp) as q:
        yield Bitcaster(q)
