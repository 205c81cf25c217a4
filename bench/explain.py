"""Explain of a 1 000-recipient transaction: wall time and CPU, against the activity feed page of the
same 1 000 notifications measured in the same run.

    .venv/bin/python bench/explain.py             # 1 000 recipients, 30 rounds each
    .venv/bin/python bench/explain.py --recipients 200 --rounds 5

Everything is in-process: a Temporal dev server from the installed wheel, a fresh SQLite store, a
worker and the API (over ASGI, no socket). One trigger to 1 000 listed subscribers of an in-app
workflow runs first (five child runs of 200); then ``GET /v1/notifications/explain`` and the
baseline ``GET /v1/notifications?transactionId=…&limit=1000`` alternate, so both see the same
machine, followed by one notification's ``GET /v1/notifications/{id}/explain``. It prints p50, p90
and p99 (nearest rank over the rounds), the CPU time of the process per recipient, and the load
average before and after (figures from a loaded machine are only indicative). Target: explain p50
under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]  # the benchmark helpers, and Clarion from this checkout
from _setup import WORKFLOW, bench_settings, prepare_database  # noqa: E402

from api.app import create_app  # noqa: E402
from clarion.dev import temporal_binary  # noqa: E402
from clarion.runners import freeze_startup_heap  # noqa: E402
from clarion.worker import open_worker  # noqa: E402
from core.payloads import RunResult  # noqa: E402
from core.run_identity import ALL  # noqa: E402
from store.engine import create_engine, make_sessions  # noqa: E402

FLAGS = ["--dynamic-config-value", "history.transferProcessorMaxPollRPS=1000", "--log-level", "error"]


async def timed(client: httpx.AsyncClient, url: str, params: dict[str, str]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    response = await client.get(url, params=params)
    assert response.status_code == 200, response.text
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


async def main(recipients: int, rounds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="clarion-bench-explain-"))
    settings = bench_settings(folder, temporal_port=0, ui_port=0, api_port=0, smtp_port=0)
    seeded = await prepare_database(settings)
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), data_converter=pydantic_data_converter, search_attributes=ALL,
        dev_server_extra_args=FLAGS,
    )
    client: Client = env.client
    engine = create_engine(settings.database_url)
    sessions = make_sessions(engine)
    app = create_app(settings, sessions=sessions, temporal=client)
    headers = {"Authorization": f"ApiKey {seeded.api_key}"}
    async with (
        open_worker(settings, client=client, sessions=sessions),
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench", headers=headers,
                          timeout=600) as http,
    ):
        freeze_startup_heap()  # as the API and worker runners do once they have started
        to = [{"subscriberId": f"r{i:04}", "firstName": f"R{i}"} for i in range(recipients)]
        started = time.perf_counter()
        response = await http.post("/v1/events/trigger", json={"name": WORKFLOW, "to": to, "transactionId": "tx-1k"})
        assert response.status_code == 201, response.text
        handle = client.get_workflow_handle(f"trigger:{seeded.environment_id}:tx-1k", result_type=RunResult)
        result = await handle.result()
        print(f"trigger of {recipients}: {result.sent} sent in {time.perf_counter() - started:.1f}s", flush=True)
        print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
        explain_params = {"transactionId": "tx-1k"}
        feed_params = {"transactionId": "tx-1k", "limit": "1000"}
        await timed(http, "/v1/notifications/explain", explain_params)  # warm both paths once
        await timed(http, "/v1/notifications", feed_params)
        explain, feed = [], []
        for _ in range(rounds):
            explain.append(await timed(http, "/v1/notifications/explain", explain_params))
            feed.append(await timed(http, "/v1/notifications", feed_params))
        body = (await http.get("/v1/notifications/explain", params=explain_params)).json()["data"]
        assert len(body["recipients"]) == recipients, len(body["recipients"])
        one = f"/v1/notifications/{body['recipients'][0]['notificationId']}/explain"
        single = [await timed(http, one, {}) for _ in range(rounds)]
    await engine.dispose()

    def p(values: list[tuple[float, float]], q: float) -> float:
        ordered = sorted(v[0] for v in values)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    def cpu(values: list[tuple[float, float]]) -> float:
        return statistics.median(v[1] for v in values)

    def spread(values: list[tuple[float, float]]) -> str:
        return f"p50 {p(values, 0.5):.1f} ms, p90 {p(values, 0.9):.1f} ms, p99 {p(values, 0.99):.1f} ms"

    e50, f50 = p(explain, 0.5), p(feed, 0.5)
    print(f"explain, {recipients} recipients ({rounds} rounds): {spread(explain)}, "
          f"CPU {cpu(explain) / recipients * 1000:.0f} µs per recipient "
          f"(target p50 < 100 ms: {'met' if e50 < 100 else 'NOT met'})")
    print(f"baseline feed page of the same {recipients}: {spread(feed)}, "
          f"CPU {cpu(feed) / recipients * 1000:.0f} µs per notification")
    print(f"ratio explain / feed page (p50): {e50 / f50:.2f}x")
    print(f"one notification's explain: {spread(single)}, CPU {cpu(single):.1f} ms")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    await env.shutdown()
    shutil.rmtree(folder, ignore_errors=True)
    os._exit(0)  # temporalio may abort while the interpreter exits (sdk-python issue 300)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.recipients, args.rounds))
