"""A real Clarion for Novu's Inbox clients: Temporal dev server, a worker, uvicorn with WebSockets, and Node.

Node and the pinned npm packages (tests/inbox_js/package-lock.json) are prerequisites: without them
the tests fail in CI (env CI set) and are skipped elsewhere, with the reason.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from clarion.seed import Demo, seed_demo
from clarion.worker import open_worker
from store import inbox_sessions, tenancy
from store.engine import create_engine, make_sessions
from store.migrate import upgrade
from tests.pipeline.conftest import Mailbox, Pipeline, open_pipeline, pipeline_settings, smtp

__all__ = ["Clarion", "clarion", "demo_clarion", "missing", "node_packages", "smtp"]
JS = Path(__file__).resolve().parent.parent / "inbox_js"
INBOX_WORKFLOWS = [
    {"name": "Inbox actions", "workflowId": "inbox-actions", "steps": [
        {"name": "Inbox", "type": "in_app", "controlValues": {
            "subject": "Order {{ payload.orderId }}", "body": "Order {{ payload.orderId }} is ready",
            "primaryAction": {"label": "Open", "redirect": {"url": "https://example.test/orders"}},
            "secondaryAction": {"label": "Later"}}}]},
]  # fmt: skip


def missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def node_packages() -> str:
    """The node binary, once the pinned packages are installed (``npm ci`` when node_modules is missing)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing("Node.js and npm are needed for Novu's Inbox clients (apt-get install nodejs npm)")
    assert node is not None and npm is not None
    if not (JS / "node_modules" / "@novu" / "js").exists():
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS, capture_output=True, text=True,
                              timeout=600)  # fmt: skip
        if done.returncode != 0:
            missing(f"npm ci in {JS} failed: {done.stderr[-2000:]}")
    return node


@asynccontextmanager
async def serve_ws(app: FastAPI) -> AsyncIterator[str]:
    """uvicorn with WebSockets on (tests/sdk.py's ``serve`` turns them off), on this event loop."""
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", ws="websockets-sansio"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving
        sock.close()


@dataclass
class Clarion:
    pipeline: Pipeline
    url: str
    demo: Demo | None = None

    @property
    def key(self) -> str:
        return self.pipeline.tenancy.key_a

    @property
    def environment_id(self) -> str:
        return str(self.pipeline.tenancy.env_a.id)

    async def node(self, script: str, *args: str, timeout: float = 180) -> dict[str, Any]:
        """Run a script of tests/inbox_js with Node; it prints one JSON document, which is returned."""
        node = await asyncio.to_thread(node_packages)
        proc = await asyncio.create_subprocess_exec(
            node, str(JS / script), *args, cwd=JS, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout)
        finally:
            if proc.returncode is None:
                proc.kill()
        assert proc.returncode == 0, err.decode()[-4000:]
        result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
        return result


@asynccontextmanager
async def open_clarion(
    tmp_path: Path, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int], *, demo: bool = False
) -> AsyncIterator[Clarion]:
    """Clarion over a fresh SQLite file, served by uvicorn (with /socket.io/), with a worker on a fresh task queue;
    ``demo`` seeds what ``clarion dev`` seeds (the demo page's environment and workflow)."""
    mailbox, port = smtp
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'clarion.db'}")
    await upgrade(engine)
    settings = pipeline_settings(port, f"tq-{uuid.uuid4().hex}").model_copy(update={"data_dir": tmp_path})
    try:
        async with (
            open_pipeline(make_sessions(engine), temporal_env.client, mailbox, settings, worker=False) as p,
            # The worker publishes on the API's bus, as one embedded process does (clarion dev).
            open_worker(settings, client=p.temporal, sessions=p.sessions, bus=p.app.state.services.bus),
        ):
            for body in INBOX_WORKFLOWS:
                response = await p.client.post("/v2/workflows", json=body, headers=p.headers)
                assert response.status_code == 201, response.text
            async with p.sessions() as session, session.begin():
                # Keys made by the test factory are not sealed; the subscriberHash checks need this one to be.
                key = await tenancy_key(session, p.tenancy.key_a)
                await inbox_sessions.seal_key(session=session, key_id=key, raw=p.tenancy.key_a,
                                              seal=p.app.state.cipher.seal_secret)  # fmt: skip
            seeded = await seed_demo(p.sessions, settings) if demo else None
            async with serve_ws(p.app) as url:
                yield Clarion(p, url, seeded)
    finally:
        await engine.dispose()


@pytest.fixture
async def clarion(
    tmp_path: Path, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int]
) -> AsyncIterator[Clarion]:
    async with open_clarion(tmp_path, temporal_env, smtp) as found:
        yield found


@pytest.fixture
async def demo_clarion(
    tmp_path: Path, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int]
) -> AsyncIterator[Clarion]:
    async with open_clarion(tmp_path, temporal_env, smtp, demo=True) as found:
        yield found


async def tenancy_key(session: Any, raw: str) -> uuid.UUID:
    found = await tenancy.find_key(session=session, raw=raw)
    assert found is not None
    return found.id
