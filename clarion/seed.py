"""The demo organization, environments, API key and ``welcome`` workflow of ``clarion dev``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.settings import Settings
from store import inbox_sessions, tenancy
from store import workflows as workflow_store
from store.crypto import CredentialCipher
from store.engine import Sessions

WELCOME_STEPS: list[dict[str, Any]] = [
    {
        "id": "welcome-in-app",
        "name": "Welcome in-app",
        "type": "in_app",
        "active": True,
        "controls": {
            "subject": "Welcome, {{ subscriber.firstName | default('friend') }}!",
            "body": "Hi {{ subscriber.firstName | default('there') }}, "
            "welcome to {{ payload.appName | default('Clarion') }}.",
            "redirect": {"url": "{{ payload.url | default('') }}"},
        },
    },
    {
        "id": "welcome-email",
        "name": "Welcome email",
        "type": "email",
        "active": True,
        "controls": {
            "subject": "Welcome to {{ payload.appName | default('Clarion') }}",
            "body": "<p>Hello {{ subscriber.firstName | default('there') }},</p>"
            "<p>Welcome to {{ payload.appName | default('Clarion') }}.</p>",
        },
    },
]


@dataclass(frozen=True)
class Demo:
    environment_id: str
    production_environment_id: str
    api_key: str
    # What Novu's <Inbox /> is given as applicationIdentifier for the Development environment.
    application_identifier: str = ""


def _key_file(settings: Settings) -> Path:
    return settings.data_dir / "demo-api-key"


async def seed_demo(sessions: Sessions, settings: Settings) -> Demo:
    """Create the demo tenancy once; later runs keep it and reprint the same key."""
    async with sessions() as session, session.begin():
        org = await tenancy.get_or_create_organization(session=session, slug="demo", name="Demo organization")
        project = await tenancy.get_or_create_project(
            session=session, organization_id=org.id, slug="default", name="Default project"
        )
        dev = await tenancy.get_or_create_environment(
            session=session, project=project, slug="development", name="Development"
        )
        prod = await tenancy.get_or_create_environment(
            session=session, project=project, slug="production", name="Production"
        )
        key = await _demo_key(session, settings, dev)
        for env in (dev, prod):
            existing = await workflow_store.get_by_identifier(
                session=session, environment_id=env.id, identifier="welcome"
            )
            if existing is None:
                await workflow_store.upsert(
                    session=session,
                    environment_id=env.id,
                    identifier="welcome",
                    values={
                        "name": "Welcome",
                        "description": "Demo workflow created by clarion dev",
                        "steps": WELCOME_STEPS,
                        "tags": ["demo"],
                    },
                )
        identifier = await inbox_sessions.application_identifier(session=session, env=dev)
        return Demo(environment_id=str(dev.id), production_environment_id=str(prod.id), api_key=key,
                    application_identifier=identifier)


async def _demo_key(session: Any, settings: Settings, env: Any) -> str:
    wanted = settings.dev.demo_api_key.get_secret_value() if settings.dev.demo_api_key else None
    key_file = _key_file(settings)
    stored = key_file.read_text().strip() if key_file.exists() else None
    raw = wanted or stored
    seal = CredentialCipher(settings.secret_key.get_secret_value()).seal_secret
    if raw and (found := await tenancy.find_key(session=session, raw=raw)) is not None:
        if found.sealed_key is None:  # a key seeded before the Inbox: keep it usable for subscriberHash
            await inbox_sessions.seal_key(session=session, key_id=found.id, raw=raw, seal=seal)
        return raw
    issued = await tenancy.create_key(session=session, name="demo", environment=env, raw=raw, seal=seal)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(issued.raw + "\n")
    key_file.chmod(0o600)
    return issued.raw
