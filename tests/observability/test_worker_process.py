"""``clarion worker`` as its own process: its two metrics ports (Clarion's and the Temporal SDK's)
count a delivery it made, and its logs are JSON lines."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from core.settings import Settings, TemporalSettings
from store import workflows as workflow_store
from store.engine import create_engine, make_sessions
from store.migrate import upgrade
from tests.factories import two_environments
from tests.observability.conftest import scrape, value
from tests.observability.test_metrics import _free_port

ROOT = Path(__file__).resolve().parents[2]
IN_APP = [{"id": "note", "type": "in_app", "active": True, "controls": {"body": "Hello"}}]


@pytest.mark.slow
async def test_a_worker_process_serves_its_metrics_and_logs_json(
    tmp_path: Path, temporal_env: WorkflowEnvironment
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'clarion.db'}"
    engine = create_engine(url)
    await upgrade(engine)
    sessions = make_sessions(engine)
    tenancy = await two_environments(sessions)
    async with sessions() as session, session.begin():
        await workflow_store.upsert(session=session, environment_id=tenancy.env_a.id, identifier="note",
                                    values={"name": "Note", "steps": IN_APP})
    queue, metrics_port, sdk_port = f"tq-{uuid.uuid4().hex}", _free_port(), _free_port()
    target = temporal_env.client.service_client.config.target_host
    env = {**os.environ, "CLARION_MODE": "production", "CLARION_SECRET_KEY": "worker-process-secret",
           "CLARION_DATABASE__URL": url, "CLARION_TEMPORAL__ADDRESS": target,
           "CLARION_TEMPORAL__TASK_QUEUE": queue, "CLARION_OBSERVABILITY__WORKER_METRICS_PORT": str(metrics_port),
           "CLARION_OBSERVABILITY__TEMPORAL_METRICS_PORT": str(sdk_port), "CLARION_REALTIME_BUS": "memory"}
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", "clarion", "worker"], env=env, cwd=ROOT, stdout=out,
                                  stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            if "worker polling task queue" in log.read_text() or worker.poll() is not None:
                break
            await asyncio.sleep(0.1)
        assert worker.poll() is None, log.read_text()
        settings = Settings(mode="dev", temporal=TemporalSettings(task_queue=queue))
        app = create_app(settings, sessions=sessions, temporal=temporal_env.client)
        async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            response = await client.post("/v1/events/trigger", headers={"Authorization": f"ApiKey {tenancy.key_a}"},
                                         json={"name": "note", "to": "ada", "transactionId": "tx-process"})
            assert response.status_code == 201, response.text
            handle = temporal_env.client.get_workflow_handle(f"trigger:{tenancy.env_a.id}:tx-process")
            await handle.result()
        page = await scrape(f"http://127.0.0.1:{metrics_port}/metrics")
        assert value(page, "clarion_deliveries_total", channel="in_app", provider="in_app", outcome="sent") == 1
        sdk = await scrape(f"http://127.0.0.1:{sdk_port}/metrics")
        assert any(name == "temporal_activity_schedule_to_start_latency_count" and ("task_queue", queue) in labels
                   for name, labels in sdk)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        await engine.dispose()
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    polling = [line for line in lines if line["message"].startswith("worker polling task queue")]
    assert polling and polling[0]["level"] == "INFO" and polling[0]["logger"] == "clarion.runners"
    assert "worker-process-secret" not in log.read_text()
