"""A 10-second delay survives a restart of the worker and of the Temporal dev server (persistent file)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from clarion.dev import temporal_binary
from clarion.worker import open_worker
from core.payloads import RunResult
from core.run_identity import dev_server_flags
from store.engine import make_sessions
from tests.pipeline.conftest import Mailbox, open_pipeline, pipeline_settings
from tests.pipeline.flow_helpers import create_workflow, trigger


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def dev_server(db: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port), "--headless",
         "--db-filename", str(db), "--log-level", "error", *dev_server_flags()],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


async def connect(port: int) -> Client:
    for _ in range(300):
        try:
            client = await Client.connect(f"127.0.0.1:{port}", data_converter=pydantic_data_converter)
            await client.count_workflows()
            return client
        except Exception:  # still starting
            await asyncio.sleep(0.1)
    raise AssertionError("the dev server did not come up")


async def test_ten_second_delay_survives_worker_and_server_restarts(
    engine: AsyncEngine, smtp: tuple[Mailbox, int], tmp_path: Path
) -> None:
    mailbox, smtp_port = smtp
    port, db = free_port(), tmp_path / "temporal.db"
    settings = pipeline_settings(smtp_port, f"tq-{uuid.uuid4().hex}")
    sessions = make_sessions(engine)
    steps = [{"name": "Wait", "type": "delay", "controlValues": {"type": "regular", "amount": 10, "unit": "seconds"}},
             {"name": "Inbox", "type": "in_app", "controlValues": {"body": "after the restarts"}}]
    with dev_server(db, port):
        client = await connect(port)
        async with open_pipeline(sessions, client, mailbox, settings, worker=False) as p:
            await create_workflow(p, "later", steps)
            env = p.tenancy.env_a.id
            async with open_worker(settings, client=client, sessions=sessions):
                await trigger(p, "later", "tx-restart", {})
                handle = client.get_workflow_handle(f"trigger:{env}:tx-restart")
                for _ in range(200):  # until the timer is durable in the server's file
                    history = [e async for e in handle.fetch_history_events()]
                    if any(e.HasField("timer_started_event_attributes") for e in history):
                        break
                    await asyncio.sleep(0.05)
                else:
                    raise AssertionError("the delay timer never started")
    # Worker and server are gone; nothing was delivered yet.
    assert await p.messages() == []
    with dev_server(db, port):
        client = await connect(port)
        async with open_worker(settings, client=client, sessions=sessions):
            result = await client.get_workflow_handle(f"trigger:{env}:tx-restart", result_type=RunResult).result()
    assert result.sent == 1
    [message] = await p.messages(subscriber_id="ada")
    assert message.content == "after the restarts"
