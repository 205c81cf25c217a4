"""schemathesis over ``/openapi.json`` against a real Clarion (uvicorn, Temporal dev server):
every documented operation, a bounded number of generated cases each (positive and negative), and
not one server error or response that contradicts the schema."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import sys
import uuid
from pathlib import Path

import pytest
import uvicorn
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from core.settings import Settings, TemporalSettings
from store.engine import make_sessions
from tests.factories import two_environments

pytestmark = pytest.mark.slow
# Fuzzed cases per operation, on top of the coverage phase's boundary values (about 6 000 cases over
# 157 operations, about three minutes on two cores).
MAX_EXAMPLES = int(os.environ.get("CLARION_FUZZ_EXAMPLES", "3"))


def _schemathesis() -> str:
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("schemathesis is not installed: pip install -e '.[test]'")
    return found


# Fuzzed once, on PostgreSQL: the stricter store (NUL, surrogates, JSONB numbers); SQLite on request.
ENGINES = [
    pytest.param("postgres", marks=pytest.mark.postgres), *(["sqlite"] if os.environ.get("CLARION_FUZZ_SQLITE") else [])
]


@pytest.mark.timeout(900)  # about 3 minutes on a quiet 2-core machine, past 5 on a busy one
@pytest.mark.parametrize("engine", ENGINES, indirect=True)
async def test_no_server_error_and_no_schema_violation(
    engine, temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    sessions = make_sessions(engine)
    tenancy = await two_environments(sessions)
    settings = Settings(mode="dev", temporal=TemporalSettings(task_queue=f"fuzz-{uuid.uuid4().hex}"))
    app = create_app(settings, sessions=sessions, temporal=temporal_env.client)
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.05)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        process = await asyncio.create_subprocess_exec(
            _schemathesis(), "run", f"{base}/openapi.json",
            "--checks", "not_a_server_error,response_schema_conformance",
            "--phases", "examples,coverage,fuzzing", "--max-examples", str(MAX_EXAMPLES),
            "--seed", "21", "--workers", "2", "--generation-database", "none", "--no-shrink",
            "--request-timeout", "20", "--suppress-health-check", "all", "--no-color",
            "--header", f"Authorization: ApiKey {tenancy.key_a}",
            "--report", "junit", "--report-dir", str(tmp_path),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path,
        )
        output, _ = await process.communicate()
    finally:
        server.should_exit = True
        await serving
    text = output.decode(errors="replace")
    Path(os.environ.get("CLARION_FUZZ_LOG", tmp_path / "schemathesis.log")).write_text(text)
    assert process.returncode == 0, text[-20_000:]
    tested = re.search(r"Tested: (\d+)", text)
    assert tested is not None and int(tested[1]) >= 150, text[-5_000:]  # every operation ran
