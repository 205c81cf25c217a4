"""The benchmark's Clarion: settings for the child processes, a migrated and seeded database, a topic."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from clarion.dev import child_environment
from clarion.runners import migrate_database
from clarion.seed import seed_demo
from core.settings import ApiSettings, DatabaseSettings, DevSettings, Settings, TemporalSettings
from store import workflows as workflow_store
from store.base import utcnow
from store.engine import create_engine, make_sessions
from store.models import Subscriber, Topic, TopicSubscriber

WORKFLOW = "bench-inapp"
TASK_QUEUE = "clarion-bench"
# One in-app step; the body uses the payload and the subscriber, like a real inbox message.
INAPP_STEPS: list[dict[str, Any]] = [
    {
        "id": "inbox",
        "name": "Inbox",
        "type": "in_app",
        "active": True,
        "controls": {
            "subject": "{{ payload.title | default('Update') }}",
            "body": "Hi {{ subscriber.firstName | default(subscriber.subscriberId) }}, "
            "{{ payload.item | default('something') }} is ready (#{{ payload.n | default(0) }}).",
        },
    },
]


@dataclass(frozen=True)
class Seeded:
    environment_id: uuid.UUID
    api_key: str


def bench_settings(folder: Path, *, temporal_port: int, ui_port: int, api_port: int, smtp_port: int) -> Settings:
    """Dev-mode settings over a fresh data folder; everything else is Clarion's default (or CLARION_*)."""
    return Settings(
        mode="dev",
        data_dir=folder,
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{(folder / 'clarion.db').resolve()}"),
        temporal=TemporalSettings(address=f"127.0.0.1:{temporal_port}", task_queue=TASK_QUEUE),
        api=ApiSettings(host="127.0.0.1", port=api_port),
        dev=DevSettings(temporal_port=temporal_port, temporal_ui_port=ui_port, smtp_port=smtp_port),
    )


def bench_environment(settings: Settings) -> dict[str, str]:
    """``clarion dev``'s child environment, pointed at the benchmark's database and task queue.

    Other CLARION_* variables of the caller's shell (e.g. CLARION_WORKER__RECIPIENTS_PER_BATCH) pass
    through, to the children and to ``settings`` alike, so a tuned run reports what it used.
    """
    env = child_environment(settings)
    env["CLARION_DATABASE__URL"] = settings.database_url
    env["CLARION_TEMPORAL__TASK_QUEUE"] = settings.temporal.task_queue
    return env


async def prepare_database(settings: Settings) -> Seeded:
    """Migrate a fresh SQLite file, seed the demo tenancy and key, add the in-app-only workflow."""
    await migrate_database(settings)
    engine = create_engine(settings.database_url)
    try:
        sessions = make_sessions(engine)
        demo = await seed_demo(sessions, settings)
        env = uuid.UUID(demo.environment_id)
        async with sessions() as session, session.begin():
            await workflow_store.upsert(session=session, environment_id=env, identifier=WORKFLOW,
                                        values={"name": "Bench in-app", "steps": INAPP_STEPS})
        return Seeded(environment_id=env, api_key=demo.api_key)
    finally:
        await engine.dispose()


async def add_topic(settings: Settings, environment_id: uuid.UUID, key: str, size: int) -> None:
    """``size`` new subscribers and a topic holding them all, inserted in bulk (not through the API)."""
    engine = create_engine(settings.database_url)
    try:
        async with make_sessions(engine)() as session, session.begin():
            now = utcnow()
            people = [
                {"id": uuid.uuid4(), "environment_id": environment_id, "subscriber_id": f"{key}-member-{i}",
                 "first_name": f"Member{i}", "data": {}, "channels": [], "is_online": False,
                 "created_at": now, "updated_at": now}
                for i in range(size)
            ]
            await session.execute(insert(Subscriber), people)
            topic = Topic(environment_id=environment_id, key=key, name=key)
            session.add(topic)
            await session.flush()
            await session.execute(
                insert(TopicSubscriber),
                [{"environment_id": environment_id, "topic_id": topic.id, "subscriber_pk": p["id"], "created_at": now}
                 for p in people],
            )
    finally:
        await engine.dispose()
