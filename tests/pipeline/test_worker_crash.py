"""A worker killed in the middle of the email step: a new worker finishes and nothing is sent twice."""

from __future__ import annotations

import asyncio
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


async def test_killed_worker_sends_exactly_once(
    tmp_path: Path, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int]
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

            assert len(mailbox.to("ada@example.test")) == 1
            assert len(await p.messages(channel="in_app", subscriber_id="ada")) == 1
            [email] = await p.messages(channel="email", subscriber_id="ada")
            # The worker died before the server's reply: Clarion says so rather than sending again.
            assert email.status == "warning"
            assert result.failed == 0
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)
        await engine.dispose()
