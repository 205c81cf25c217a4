"""Slow webhook proofs on a SQLite file: the real retry schedule (§5 item 15) and a killed worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from store.engine import create_engine
from store.migrate import upgrade
from tests.pipeline.conftest import Mailbox
from tests.qala.conftest import Receiver, open_qala, until

pytestmark = pytest.mark.slow
REAL_SCHEDULE = [10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0, 10800.0, 21600.0]


async def test_real_schedule_three_attempts_then_dead_letter(
    tmp_path: Path, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int], receiver: Receiver
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'clarion.db'}")
    await upgrade(engine)
    try:
        async with open_qala(engine, temporal_env, smtp, waits=REAL_SCHEDULE) as q:
            await q.event_type("transaction.updated")
            await q.topic("transactions", ["transaction.updated"])
            sub = await q.subscribe("transactions", "/always-500", receiver, maxDeliveryAttempts=3)
            receiver.plan["/always-500"] = [500]
            base = f"/management/v1/topics/transactions/subscriptions/{sub['id']}"
            await q.publish({"type": "transaction.updated", "id": "sched-1", "data": {}})

            async def deadlettered() -> list[dict[str, object]]:
                return list((await q.ok("GET", f"{base}/deadletters"))["items"])

            [letter] = await until(deadlettered, timeout=90)
            arrivals = [r.at for r in receiver.at("/always-500")]
            assert len(arrivals) == 3 and letter["attempts"] == 3
            gaps = [b - a for a, b in pairwise(arrivals)]
            # base x uniform(0.8, 1.2), plus a little scheduling slack
            assert 8.0 <= gaps[0] <= 12.0 + 1.5, gaps
            assert 24.0 <= gaps[1] <= 36.0 + 1.5, gaps
            assert (await q.ok("GET", base))["deadletterCount"] == 1
            events = [e for e in q.events if e.type == "webhook.delivery.deadlettered"]
            assert len(events) == 1 and events[0].body["eventId"] == "sched-1"
            replay = await q.ok("POST", f"{base}/replay", {"allDeadletters": True}, status=202)
            assert replay == {"replayed": 1}
            assert (await q.ok("GET", base))["deadletterCount"] == 0
            await until(lambda: len(receiver.at("/always-500")) == 4)
            assert len({r.headers["webhook-id"] for r in receiver.at("/always-500")}) == 1
    finally:
        await engine.dispose()


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "clarion", "worker"], env=env, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT)


async def test_killed_worker_loses_and_duplicates_no_delivery(
    tmp_path: Path, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int], receiver: Receiver
) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'clarion.db'}"
    engine = create_engine(db_url)
    await upgrade(engine)
    receiver.per_webhook_id = [500, 200]  # every delivery is mid-schedule when the worker dies
    first = second = None
    try:
        async with open_qala(engine, temporal_env, smtp, waits=[3.0] * 9, worker=False) as q:
            env = {**os.environ, "CLARION_MODE": "dev", "CLARION_DATABASE__URL": db_url,
                   "CLARION_TEMPORAL__ADDRESS": temporal_env.client.service_client.config.target_host,
                   "CLARION_TEMPORAL__TASK_QUEUE": q.pipeline.settings.temporal.task_queue}
            first = start_worker(env, tmp_path / "worker-1.log")
            await q.event_type("transaction.updated")
            await q.topic("transactions", ["transaction.updated"])
            sub = await q.subscribe("transactions", "/crash", receiver)
            ids = [f"crash-{i}" for i in range(10)]
            await q.publish([{"type": "transaction.updated", "id": i, "data": {"n": i}} for i in ids])
            await until(lambda: len(receiver.at("/crash")) >= len(ids), timeout=60)
            first.send_signal(signal.SIGKILL)
            first.wait()
            second = start_worker(env, tmp_path / "worker-2.log")

            async def all_succeeded() -> bool:
                return len(await q.deliveries("transactions", sub, "succeeded")) == len(ids)

            await until(all_succeeded, timeout=120)
            successes = Counter(r.headers["webhook-id"] for r in receiver.at("/crash") if r.status == 200)
            assert len(successes) == len(ids) and set(successes.values()) == {1}
            bodies = {r.json()["id"] for r in receiver.at("/crash")}
            assert bodies == set(ids)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)
        await engine.dispose()
