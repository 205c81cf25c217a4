"""Everything the benchmark runs against, started as ``clarion dev`` starts it, on free ports.

The Temporal dev server (``clarion dev``'s flags and search attributes), one Clarion worker, one
Clarion API, a second API whose task queue no worker polls, and the raw baseline's worker.
"""

from __future__ import annotations

import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from _api_client import ApiClient
from _harness import Stack, free_port, wait_http, wait_log, wait_port
from _load import Inbox
from _setup import bench_environment, bench_settings, prepare_database
from temporalio.client import Client

from clarion.dev import DEV_TEMPORAL_FLAGS, temporal_binary
from core.run_identity import dev_server_flags
from core.settings import Settings

BENCH = Path(__file__).resolve().parent
IDLE_QUEUE = "bench-unpolled-clarion"


@dataclass
class Services:
    settings: Settings
    environment_id: uuid.UUID
    client: Client  # raw Temporal client of the benchmark (default data converter)
    http: ApiClient  # the Clarion API
    idle_http: ApiClient  # the Clarion API whose task queue nobody polls
    inbox: Inbox
    metrics_url: str  # the dev server's Prometheus metrics

    async def close(self) -> None:
        await self.http.aclose()
        await self.idle_http.aclose()


def child_env(settings: Settings, folder: Path, bytecode_cache: bool) -> dict[str, str]:
    env = bench_environment(settings)
    if bytecode_cache:
        # As an installed deployment has: compiled modules, kept in the temporary folder (not the repository).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return env


async def start_services(
    stack: Stack, folder: Path, source: Path, *, file_db: bool, bytecode_cache: bool
) -> Services:
    """Start every child; Clarion's run from ``source`` (``python -m`` imports the packages found there)."""
    ports = {name: free_port() for name in ("temporal", "ui", "api", "smtp", "idle", "metrics")}
    s = bench_settings(folder, temporal_port=ports["temporal"], ui_port=ports["ui"], api_port=ports["api"],
                       smtp_port=ports["smtp"])
    seeded = await prepare_database(s)
    persistence = ["--db-filename", str(folder / "temporal.db")] if file_db else []
    temporal = stack.start("temporal", [
        temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(s.dev.temporal_port),
        "--ui-port", str(s.dev.temporal_ui_port), "--metrics-port", str(ports["metrics"]), *persistence,
        *DEV_TEMPORAL_FLAGS, *dev_server_flags(),
    ], dict(os.environ), folder)
    await wait_port(s.dev.temporal_port, temporal)
    env = child_env(s, folder, bytecode_cache)
    me = [sys.executable, "-m", "clarion"]
    worker = stack.start("clarion-worker", [*me, "worker"], env, source)
    api = stack.start("clarion-api", [*me, "api"], env, source)
    # The same API on a task queue no worker polls: its triggers cost no execution, like raw starts.
    idle_env = env | {"CLARION_API__PORT": str(ports["idle"]), "CLARION_TEMPORAL__TASK_QUEUE": IDLE_QUEUE}
    idle_api = stack.start("api-unpolled", [*me, "api"], idle_env, source)
    raw = stack.start("raw-worker", [
        sys.executable, str(BENCH / "_raw_worker.py"), s.temporal.address,
        str(s.worker.max_concurrent_activities), str(s.worker.max_concurrent_workflow_tasks),
    ], env, folder)
    await wait_http(f"http://127.0.0.1:{s.api.port}/health", api)
    await wait_http(f"http://127.0.0.1:{ports['idle']}/health", idle_api)
    await wait_log(worker, "worker polling task queue")
    await wait_log(raw, "raw worker polling")
    return Services(
        settings=s, environment_id=seeded.environment_id, client=await Client.connect(s.temporal.address),
        http=ApiClient.with_key(s.api.port, seeded.api_key),
        idle_http=ApiClient.with_key(ports["idle"], seeded.api_key),
        inbox=Inbox(folder / "clarion.db", seeded.environment_id),
        metrics_url=f"http://127.0.0.1:{ports['metrics']}/metrics",
    )
