"""Which send-rate limit holds up: the store's shared slot log, or a Temporal task-queue throttle.

Both deliver ``--n`` sends (default 1000) at ``--rate`` per second (default 50) to a local HTTP
receiver that notes each arrival, with ``--workers`` workers (default 2, each with its own gate,
as separate processes would have) polling one Temporal dev server:

- ``store``: activities on an ordinary task queue; each waits for a slot of ``SendGate``
  (``activities/send_rate.py``: the sliding-window log in ``send_rate_buckets``, on SQLite here)
  and then posts.
- ``temporal``: the same activity without a gate, on a task queue whose workers set
  ``max_task_queue_activities_per_second`` (the server hands out activity tasks at that rate).
- ``none`` (baseline): no limit at all, for the CPU a send costs without any throttle.

Printed per variant: the busiest one-second window at the receiver (sliding, at every arrival:
the figure a provider's limit is judged by; the receiver runs in a process of its own), total
time and its ratio to the ideal ``n / rate``, and CPU per send (this process: workers and SQLite;
and the Temporal server) with its ratio to the baseline's.

    .venv/bin/python bench/send_rate.py                  # 1000 sends at 50/s: about 2 minutes
    .venv/bin/python bench/send_rate.py --n 200 --rate 20
    .venv/bin/python bench/send_rate.py --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

``--postgres`` keeps the slot log in a fresh database on that server (dropped at the end) instead
of a SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import uvicorn
from sqlalchemy import text
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.runtime import Runtime, TelemetryConfig
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.send_rate import SendGate
from bench._harness import cpu_seconds, free_port
from clarion.dev import temporal_binary
from clarion.runners import migrate_database
from clarion.seed import seed_demo
from core.settings import DatabaseSettings, Settings
from store.engine import Sessions, create_engine, make_sessions
from store.models import Integration

PER_WORKFLOW = 25


@workflow.defn(name="SendMany")
class SendMany:
    """Schedules its batch of sends at once, as a fan-out step does, on the queue it is told."""

    @workflow.run
    async def run(self, args: list[Any]) -> int:
        activity_name, queue, count = args
        await asyncio.gather(*(workflow.execute_activity(
            activity_name, i, task_queue=queue, start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=None) for i in range(count)))
        return int(count)


class Receiver:
    """The provider: answers 200 and notes each arrival's wall-clock time; ``GET /arrivals`` lists them."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b"ok"
        if scope["method"] == "POST":
            self.arrivals.append(time.time())
            while (await receive()).get("more_body"):
                pass
        elif scope["path"] == "/arrivals":
            body = json.dumps(self.arrivals).encode()
            self.arrivals = []
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": body})


def serve_receiver(port: int) -> None:
    """The receiver's own process, so its timestamps do not wait for the senders' event loop."""
    uvicorn.run(Receiver(), host="127.0.0.1", port=port, lifespan="off", log_level="warning", ws="none",
                backlog=4096)


def busiest_second(arrivals: list[float]) -> int:
    times = sorted(arrivals)
    return max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


def temporal_pid(binary: str) -> int | None:
    """The dev server this process started (its child), not another one on the machine."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat[stat.rfind(")") + 2:].split()[1])
            if cmdline.startswith(binary.encode()) and ppid == os.getpid():
                return int(entry)
    return None


@dataclass
class Figures:
    name: str
    busiest: int
    seconds: float
    cpu_ours_ms: float
    cpu_temporal_ms: float


async def integration(sessions: Sessions, settings: Settings) -> uuid.UUID:
    demo = await seed_demo(sessions, settings)
    row = Integration(environment_id=uuid.UUID(demo.environment_id), identifier=f"bench-{uuid.uuid4().hex[:6]}",
                      provider_id="webhook", channel="webhook", name="bench", credentials="-")
    async with sessions() as session, session.begin():
        session.add(row)
    return row.id


async def run_variant(name: str, env: WorkflowEnvironment, receiver: str, make_send: Callable[[int], Callable[
        [int], Awaitable[None]]], args: argparse.Namespace, pid: int | None, throttle: float | None) -> Figures:
    queue = f"bench-{name}-{uuid.uuid4().hex[:6]}"
    # One worker per process is what Temporal allows on a queue: each activity worker gets its own
    # client and SDK runtime, as a separate worker process would; workflows run on a queue of their own.
    # debug_mode: on a loaded machine, scheduling a batch can outlast the 2 s deadlock detector, and
    # the retried workflow tasks would slow every variant alike.
    workers = [Worker(env.client, task_queue=f"{queue}-wf", workflows=[SendMany],
                      workflow_runner=UnsandboxedWorkflowRunner(), debug_mode=True)]
    for index in range(args.workers):
        send = make_send(index)

        @activity.defn(name=f"send-{name}")
        async def deliver(i: int, send: Callable[[int], Awaitable[None]] = send) -> None:
            await send(i)

        client = await Client.connect(env.client.service_client.config.target_host,
                                      runtime=Runtime(telemetry=TelemetryConfig()))
        workers.append(Worker(client, task_queue=queue, activities=[deliver], max_concurrent_activities=args.n,
                              max_task_queue_activities_per_second=throttle))
    async with httpx.AsyncClient() as probe:
        (await probe.get(f"{receiver}/arrivals")).raise_for_status()  # forget earlier variants
    cpu0, tcpu0 = time.process_time(), cpu_seconds(pid) if pid else 0.0
    started = time.time()
    async with asyncio.TaskGroup() as running:
        for worker in workers:
            running.create_task(worker.run())
        handles = [await env.client.start_workflow(
            SendMany.run, [f"send-{name}", queue, min(PER_WORKFLOW, args.n - start)], id=f"{queue}-{start}",
            task_queue=f"{queue}-wf") for start in range(0, args.n, PER_WORKFLOW)]
        await asyncio.gather(*(h.result() for h in handles))
        async with httpx.AsyncClient() as probe:
            arrivals = sorted((await probe.get(f"{receiver}/arrivals")).json())
        seconds = (arrivals[-1] if arrivals else time.time()) - started
        for worker in workers:
            await worker.shutdown()
    cpu, tcpu = time.process_time() - cpu0, (cpu_seconds(pid) if pid else 0.0) - tcpu0
    assert len(arrivals) == args.n, (name, len(arrivals))
    return Figures(name, busiest_second(arrivals), seconds, cpu / args.n * 1000, tcpu / args.n * 1000)


async def main(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="clarion-bench-rate-"))
    url = f"sqlite+aiosqlite:///{folder / 'clarion.db'}"
    scratch = f"clarion_bench_rate_{uuid.uuid4().hex[:8]}"
    if args.postgres:
        admin = create_engine(args.postgres)
        async with admin.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(
                text(f"CREATE DATABASE {scratch}"))
        await admin.dispose()
        url = args.postgres.rsplit("/", 1)[0] + f"/{scratch}"
    settings = Settings(mode="dev", data_dir=folder, database=DatabaseSettings(url=url))
    await migrate_database(settings)
    engine = create_engine(settings.database_url)
    sessions = make_sessions(engine)
    integration_id = await integration(sessions, settings)
    port = free_port()
    child = multiprocessing.get_context("spawn").Process(target=serve_receiver, args=(port,), daemon=True)
    child.start()
    receiver = f"http://127.0.0.1:{port}"
    url = f"{receiver}/send"
    binary = temporal_binary()
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=100))
    env: WorkflowEnvironment | None = None
    try:
        # A loaded machine can take longer than the SDK's 5 s to bring the dev server up.
        env = await WorkflowEnvironment.start_local(dev_server_existing_path=binary,
                                                  dev_server_startup_timeout=timedelta(seconds=60))
        pid = temporal_pid(binary)
        for _ in range(300):
            try:
                async with httpx.AsyncClient() as probe:
                    await probe.get(f"{receiver}/arrivals")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.1)

        def plain(_: int) -> Callable[[int], Awaitable[None]]:
            async def send(i: int) -> None:
                (await http.post(url, content=b"x")).raise_for_status()
            return send

        def gated(_: int) -> Callable[[int], Awaitable[None]]:
            gate = SendGate(sessions=sessions, integration_id=integration_id, rate=args.rate, burst=None)

            async def send(i: int) -> None:
                await gate.acquire()
                (await http.post(url, content=b"x")).raise_for_status()
            return send

        results = [await run_variant("none", env, receiver, plain, args, pid, None)]
        print(f"baseline done: {results[0]}", flush=True)
        results.append(await run_variant("store", env, receiver, gated, args, pid, None))
        print(f"store done: {results[1]}", flush=True)
        results.append(await run_variant("temporal", env, receiver, plain, args, pid, args.rate))
        print(f"temporal done: {results[2]}", flush=True)
    finally:
        await http.aclose()
        if env is not None:
            await env.shutdown()
        child.terminate()
        child.join()
        await engine.dispose()
        if args.postgres:
            admin = create_engine(args.postgres)
            async with admin.connect() as conn:
                await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(
                    text(f"DROP DATABASE IF EXISTS {scratch}"))
            await admin.dispose()
    ideal = args.n / args.rate
    base = results[0]
    store = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\n{args.n} sends, limit {args.rate:g}/s, {args.workers} workers, slot log on {store}; "
          f"ideal time {ideal:.1f} s; machine load (1 min) {os.getloadavg()[0]:.2f}")
    print(f"{'variant':10} {'busiest 1 s':>11} {'time s':>8} {'x ideal':>8} {'CPU ms/send ours':>17} "
          f"{'x base':>7} {'Temporal ms/send':>17} {'x base':>7}")
    for r in results:
        print(f"{r.name:10} {r.busiest:>11} {r.seconds:>8.1f} {r.seconds / ideal:>8.2f} {r.cpu_ours_ms:>17.2f} "
              f"{r.cpu_ours_ms / base.cpu_ours_ms:>7.2f} {r.cpu_temporal_ms:>17.2f} "
              f"{(r.cpu_temporal_ms / base.cpu_temporal_ms) if base.cpu_temporal_ms else 0:>7.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", default="", help="an admin URL of a PostgreSQL server for the slot log")
    asyncio.run(main(parser.parse_args()))
