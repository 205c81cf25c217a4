"""The activity retention sweep: old, closed notifications go with their jobs, execution details and
messages, batch by batch; a running trigger's rows, unread inbox messages and recently read ones stay."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import func, select, update
from temporalio.testing import ActivityEnvironment

from activities.retention import RetentionActivities, SweepInput
from core.retention import RetentionPolicy
from store import retention
from store.base import utcnow
from store.models import ExecutionDetail, Job, Message, Notification, ProviderEvent
from tests.pipeline.conftest import Pipeline, pipeline  # noqa: F401  (a fixture)
from tests.pipeline.factories import add_workflow

SLOW = [
    {"id": "first", "type": "in_app", "active": True, "controls": {"body": "Started"}},
    {"id": "wait", "type": "delay", "active": True, "controls": {"type": "regular", "amount": 1, "unit": "hours"}},
    {"id": "later", "type": "in_app", "active": True, "controls": {"body": "An hour later"}},
]


async def _count(p: Pipeline, model: type, tx: str) -> int:
    async with p.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).filter_by(transaction_id=tx)) or 0)


async def _jobs(p: Pipeline, tx: str) -> int:
    async with p.sessions() as session:
        query = select(func.count()).select_from(Job).join(Notification, Notification.id == Job.notification_id)
        return int(await session.scalar(query.where(Notification.transaction_id == tx)) or 0)


async def _rows(p: Pipeline, tx: str) -> tuple[int, int, int, int]:
    return (await _count(p, Notification, tx), await _jobs(p, tx), await _count(p, ExecutionDetail, tx),
            await _count(p, Message, tx))


async def _age(p: Pipeline, days: int) -> None:
    then = utcnow() - timedelta(days=days)
    async with p.sessions() as session, session.begin():
        for model in (Notification, Job, ExecutionDetail, Message):
            await session.execute(update(model).values(created_at=then))


async def _read(p: Pipeline, tx: str, days_ago: int) -> None:
    async with p.sessions() as session, session.begin():
        await session.execute(update(Message).where(Message.transaction_id == tx, Message.channel == "in_app")
                              .values(read=True, seen=True, read_at=utcnow() - timedelta(days=days_ago)))


async def test_old_closed_activity_is_purged_in_batches_and_a_running_trigger_stays(
    pipeline: Pipeline,  # noqa: F811
) -> None:
    p = pipeline
    done = [f"tx-old-{i}" for i in range(5)]
    for i, tx in enumerate(done):
        response = await p.trigger({"name": "welcome", "transactionId": tx,
                                    "to": {"subscriberId": f"r{i}", "email": f"r{i}@example.test"}})
        assert response.status_code == 201, response.text
        assert (await p.finish(tx)).sent == 2
    await add_workflow(p.sessions, p.tenancy.env_a.id, "slow", steps=SLOW)
    assert (await p.trigger({"name": "slow", "transactionId": "tx-running", "to": "ada"})).status_code == 201
    while not await p.messages(transaction_id="tx-running"):
        await asyncio.sleep(0.05)  # the first step has run; the run now waits an hour

    await _age(p, days=40)  # everything, the running trigger's rows too, is past the 30-day default
    await _read(p, "tx-old-1", days_ago=100)
    await _read(p, "tx-old-2", days_ago=10)  # read recently: kept with its notification
    await _read(p, "tx-old-3", days_ago=100)
    await _read(p, "tx-old-4", days_ago=100)
    await _read(p, "tx-running", days_ago=100)  # read long ago, but its run is still going
    # tx-old-0's in-app message is unread: it stays in the inbox, and its activity with it.
    async with p.sessions() as session, session.begin():  # a run whose closing update was lost
        await session.execute(update(Notification).where(Notification.transaction_id == "tx-old-4")
                              .values(status="processing"))
    before = {tx: await _rows(p, tx) for tx in [*done, "tx-running"]}
    assert all(rows[0] == 1 and rows[1] == 2 and rows[3] == 2 for tx, rows in before.items() if tx != "tx-running")

    # The store purges at most ``limit`` notifications per batch.
    env, policy = p.tenancy.env_a.id, RetentionPolicy()
    async with p.sessions() as session, session.begin():
        first = await retention.purge_activity(session=session, environment_id=env, now=utcnow(), policy=policy,
                                               limit=1)
    assert (first.notifications, first.jobs, first.messages) == (1, 2, 2) and first.details >= 2

    # The scheduled sweep, one row per batch: it checks tx-old-4's run with Temporal, then purges the rest.
    result = await ActivityEnvironment(client=p.temporal).run(
        RetentionActivities(sessions=p.sessions).purge_activity, SweepInput(batch_size=1)
    )
    assert result >= 2 * 5  # two more notifications, each with two jobs, two messages, details
    after = {tx: await _rows(p, tx) for tx in [*done, "tx-running"]}
    for tx in ("tx-old-1", "tx-old-3", "tx-old-4"):
        assert after[tx] == (0, 0, 0, 0), tx
    for tx in ("tx-old-0", "tx-old-2", "tx-running"):
        assert after[tx] == before[tx], tx
    again = await ActivityEnvironment(client=p.temporal).run(
        RetentionActivities(sessions=p.sessions).purge_activity, SweepInput(batch_size=1))
    assert again == 0


async def test_environment_settings_change_the_retention(pipeline: Pipeline) -> None:  # noqa: F811
    p = pipeline
    url = f"/management/v1/environments/{p.tenancy.env_a.id}"
    shown = (await p.client.get(url, headers=p.headers)).json()
    assert (shown["activityFeedRetentionDays"], shown["readMessageRetentionDays"]) == (30, 90)
    bad = await p.client.put(url, json={"readMessageRetentionDays": 0}, headers=p.headers)
    assert bad.status_code == 400 and "readMessageRetentionDays" in bad.text
    response = await p.client.put(url, json={"activityFeedRetentionDays": 60}, headers=p.headers)
    assert response.status_code == 200, response.text
    assert response.json()["activityFeedRetentionDays"] == 60

    tx = f"tx-{uuid.uuid4().hex[:8]}"
    assert (await p.trigger({"name": "welcome", "transactionId": tx, "to": "kept"})).status_code == 201
    await p.finish(tx)
    await _age(p, days=40)
    await _read(p, tx, days_ago=100)
    removed = await ActivityEnvironment(client=p.temporal).run(
        RetentionActivities(sessions=p.sessions).purge_activity, SweepInput())
    # 40 days old is within this environment's 60 days: only the in-app message read 100 days ago goes.
    assert removed == 1
    notifications, jobs, _details, messages = await _rows(p, tx)
    assert (notifications, jobs, messages) == (1, 2, 0)  # "kept" has no email address: in-app only


async def test_old_provider_events_are_purged_in_bounded_batches(pipeline: Pipeline) -> None:  # noqa: F811
    p = pipeline
    env, now = p.tenancy.env_a.id, utcnow()
    old, recent = now - timedelta(days=40), now - timedelta(days=10)
    async with p.sessions() as session, session.begin():
        rows = [(env, old)] * 3 + [(env, recent)] + [(None, old)] * 2 + [(None, recent)]
        for i, (environment, at) in enumerate(rows):
            session.add(ProviderEvent(environment_id=environment, provider_id="sendgrid", outcome="applied",
                                      provider_event_id=f"e{i}", created_at=at))
    async with p.sessions() as session, session.begin():
        first = await retention.purge_provider_events(session=session, environment_id=env, before=now - timedelta(
            days=30), limit=2)
    assert first == 2
    removed = await ActivityEnvironment(client=p.temporal).run(
        RetentionActivities(sessions=p.sessions).purge_activity, SweepInput(batch_size=1))
    assert removed == 3  # the last old one of the environment, then the two that name none
    async with p.sessions() as session:
        kept = sorted(r.provider_event_id for r in await session.scalars(select(ProviderEvent)))
    assert kept == ["e3", "e6"]
