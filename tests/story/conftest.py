"""A real Clarion for the SDK story: Temporal dev server, a worker, uvicorn, real SMTP, and a script runner.

The SDK scripts talk to Clarion over HTTP only. When a script needs triggered workflows to have
finished (to tell "not delivered" from "not delivered yet"), it prints ``{"wait": [transactionId…]}``
and reads one line back: each transaction's outcome, from Temporal.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from store.engine import create_engine, make_sessions
from store.migrate import upgrade
from tests.pipeline.conftest import Mailbox, Pipeline, open_pipeline, pipeline_settings, smtp
from tests.sdk import sdk_python, serve

__all__ = ["Story", "smtp", "story"]

STORY_WORKFLOWS = [
    {"name": "Story", "workflowId": "story", "steps": [
        {"name": "Inbox", "type": "in_app",
         "controlValues": {"body": "Order {{ payload.orderId }} for {{ subscriber.firstName }}"}}]},
    {"name": "Story later", "workflowId": "story-later", "steps": [
        {"name": "Wait", "type": "delay", "controlValues": {"type": "regular", "amount": 1, "unit": "hours"}},
        {"name": "Inbox", "type": "in_app", "controlValues": {"body": "Later {{ payload.orderId }}"}}]},
]


@dataclass
class Story:
    pipeline: Pipeline
    url: str

    async def outcome(self, transaction_id: str) -> dict[str, Any]:
        try:
            result = await asyncio.wait_for(self.pipeline.finish(transaction_id), 60)
        except WorkflowFailureError as exc:
            return {"status": type(exc.cause).__name__}
        return {"status": "completed", "sent": result.sent, "skipped": result.skipped, "failed": result.failed}

    async def run(self, sdk: str, script: str, timeout: float = 240) -> dict[str, Any]:
        """Run ``script`` (argv: url, key) with the SDK's interpreter, answering its waits; return its result."""
        python = await asyncio.to_thread(sdk_python, sdk)
        proc = await asyncio.create_subprocess_exec(
            python, "-c", script, self.url, self.pipeline.tenancy.key_a,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        assert proc.stdin and proc.stdout and proc.stderr
        try:
            async with asyncio.timeout(timeout):
                while line := await proc.stdout.readline():
                    message = json.loads(line)
                    if "result" in message:
                        result: dict[str, Any] = message["result"]
                        return result
                    answers = {tx: await self.outcome(tx) for tx in message["wait"]}
                    proc.stdin.write(json.dumps(answers).encode() + b"\n")
                    await proc.stdin.drain()
                raise AssertionError(f"the script ended without a result:\n{(await proc.stderr.read()).decode()}")
        finally:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()


@pytest.fixture
async def story(
    tmp_path: Path, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int]
) -> AsyncIterator[Story]:
    """Clarion over a fresh SQLite file, served by uvicorn, with a worker on a fresh task queue."""
    mailbox, port = smtp
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'clarion.db'}")
    await upgrade(engine)
    settings = pipeline_settings(port, f"tq-{uuid.uuid4().hex}")
    try:
        async with open_pipeline(make_sessions(engine), temporal_env.client, mailbox, settings) as p:
            for body in STORY_WORKFLOWS:
                response = await p.client.post("/v2/workflows", json=body, headers=p.headers)
                assert response.status_code == 201, response.text
            async with serve(p.app) as url:
                yield Story(p, url)
    finally:
        await engine.dispose()
