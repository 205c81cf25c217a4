"""A worker killed in the middle of the email step: a new worker finishes and nothing is sent twice."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from store.engine import create_engine, make_sessions
from store.migrate import upgrade
from tests.pipeline.conftest import Mailbox, open_pipeline, pipeline_settings
from tests.pipeline.factories import add_subscribers, add_topic
from tests.pipeline.flow_helpers import details as execution_details

pytestmark = pytest.mark.slow


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "clarion", "worker"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )


async def wait_for(condition: object, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("policy", ["at_least_once", "at_most_once"])
async def test_killed_worker_mid_send_follows_the_unknown_outcome_policy(
    tmp_path: Path, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int], policy: str
) -> None:
    mailbox, port = smtp
    mailbox.hold_seconds = 30  # the server has the message but never answers while the worker lives
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'clarion.db'}"
    engine = create_engine(db_url)
    await upgrade(engine)
    settings = pipeline_settings(port, f"tq-{uuid.uuid4().hex}")
    env = {
        **os.environ,
        "CLARION_MODE": "dev",
        "CLARION_DATABASE__URL": db_url,
        "CLARION_TEMPORAL__ADDRESS": temporal_env.client.service_client.config.target_host,
        "CLARION_TEMPORAL__TASK_QUEUE": settings.temporal.task_queue,
        "CLARION_SMTP__HOST": "127.0.0.1",
        "CLARION_SMTP__PORT": str(port),
        "CLARION_SMTP__SECURITY": "none",
        "CLARION_SMTP__FROM_ADDRESS": "clarion@example.test",
        "CLARION_WORKER__SEND_HEARTBEAT_SECONDS": "2",
        "CLARION_WORKER__UNKNOWN_OUTCOME": json.dumps({"email": policy}),
        "CLARION_WORKER__UNKNOWN_OUTCOME_AFTER_SECONDS": "1",  # the first worker is dead for sure
    }
    first = start_worker(env, tmp_path / "worker-1.log")
    second = None
    try:
        async with open_pipeline(make_sessions(engine), temporal_env.client, mailbox, settings, worker=False) as p:
            response = await p.trigger({
                "name": "welcome", "to": {"subscriberId": "ada", "email": "ada@example.test", "firstName": "Ada"},
                "payload": {"appName": "Crashy"}, "transactionId": "tx-crash",
            })
            assert response.status_code == 201, response.text
            await wait_for(lambda: mailbox.messages, timeout=60)  # the email step is mid-send
            first.send_signal(signal.SIGKILL)
            first.wait()
            mailbox.hold_seconds = 0
            second = start_worker(env, tmp_path / "worker-2.log")
            result = await asyncio.wait_for(p.finish("tx-crash"), timeout=90)

            received = mailbox.to("ada@example.test")
            assert len(await p.messages(channel="in_app", subscriber_id="ada")) == 1
            [email] = await p.messages(channel="email", subscriber_id="ada")
            details = [d.detail for d in await execution_details(p, transaction_id="tx-crash")]
            assert result.failed == 0
            if policy == "at_least_once":
                # Sent again under the same key: the copy carries the same Message-ID, so it can be spotted.
                assert len(received) == 2
                assert received[0]["Message-ID"] == received[1]["Message-ID"]
                assert email.status == "sent"
                assert any("policy at_least_once" in d for d in details), details
            else:
                # The worker died before the server's reply: Clarion says so rather than sending again.
                assert len(received) == 1
                assert email.status == "warning"
                assert any("policy at_most_once" in d for d in details), details
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)
        await engine.dispose()


async def test_rolling_sigterm_of_every_worker_during_a_topic_batch_loses_nothing(
    tmp_path: Path, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int]
) -> None:
    """A deploy is a SIGTERM: each worker finishes its in-flight sends before it exits."""
    mailbox, port = smtp
    mailbox.hold_seconds = 0.1  # each SMTP transaction takes a while: the batches are mid-send at the SIGTERMs
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'clarion.db'}"
    engine = create_engine(db_url)
    await upgrade(engine)
    settings = pipeline_settings(port, f"tq-{uuid.uuid4().hex}")
    env = {
        **os.environ,
        "CLARION_MODE": "dev",
        "CLARION_DATABASE__URL": db_url,
        "CLARION_TEMPORAL__ADDRESS": temporal_env.client.service_client.config.target_host,
        "CLARION_TEMPORAL__TASK_QUEUE": settings.temporal.task_queue,
        "CLARION_SMTP__HOST": "127.0.0.1",
        "CLARION_SMTP__PORT": str(port),
        "CLARION_SMTP__SECURITY": "none",
        "CLARION_SMTP__FROM_ADDRESS": "clarion@example.test",
        "CLARION_WORKER__SEND_HEARTBEAT_SECONDS": "2",
        "CLARION_WORKER__RECIPIENTS_PER_BATCH": "40",
        "CLARION_WORKER__SEND_CONCURRENCY": "2",
    }
    members = [f"m{i:03}" for i in range(80)]
    workers = [start_worker(env, tmp_path / f"worker-{i}.log") for i in (1, 2)]
    try:
        async with open_pipeline(make_sessions(engine), temporal_env.client, mailbox, settings, worker=False) as p:
            await add_subscribers(p.sessions, p.tenancy.env_a.id, members, email=True)
            await add_topic(p.sessions, p.tenancy.env_a.id, "everyone", members)
            response = await p.trigger({"name": "welcome", "to": [{"type": "Topic", "topicKey": "everyone"}],
                                        "payload": {"appName": "Rolling"}, "transactionId": "tx-rolling"})
            assert response.status_code == 201, response.text
            await wait_for(lambda: len(mailbox.messages) >= 5, timeout=60)
            for index in range(2):  # replace every worker, one at a time
                workers.append(start_worker(env, tmp_path / f"worker-{index + 3}.log"))
                workers[index].send_signal(signal.SIGTERM)
                assert await asyncio.to_thread(workers[index].wait, 60) == 0
            result = await asyncio.wait_for(p.finish("tx-rolling"), timeout=120)

            assert result.failed == 0
            for member in members:  # 0 lost, 0 duplicated
                assert len(mailbox.to(f"{member}@example.test")) == 1, member
            emails = await p.messages(channel="email")
            assert len(emails) == len(members)
            assert {e.status for e in emails} == {"sent"}  # 0 unknown
            notes = [d.detail for d in await execution_details(p, transaction_id="tx-rolling")]
            assert not [n for n in notes if "stopped while" in n], notes
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=40)
        await engine.dispose()
