"""``trigger.py --workers N [--store postgres] [--topic-members K]``: scale-out and audience size.

One Temporal dev server, one API, and 1, then 2, … N Clarion worker processes on the same task queue
and store (SQLite file or a private PostgreSQL database, created and dropped here). For each worker
count: single triggers until every in-app message is stored (deliveries/s, CPU per delivery of every
process). Then, with all N workers, one trigger to a topic of K members: deliveries/s, peak RSS of every
process, and the history length of the largest run of that transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from _api_client import ApiClient
from _harness import Child, Cost, CpuMeter, Stack, free_port, wait_http, wait_log, wait_port
from _load import TRIGGER, http_triggers
from _report import cost_table, cpu_table, info_table, machine, plain_table
from _services import child_env
from _setup import WORKFLOW, add_topic, bench_settings, prepare_database
from temporalio.client import Client

from clarion.dev import DEV_TEMPORAL_FLAGS, temporal_binary
from core.run_identity import dev_server_flags
from core.settings import DatabaseSettings, Settings

TOPIC = "scale-topic"


def say(text: str) -> None:
    print(text, flush=True)


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set so far (VmHWM), not its current one."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Messages:
    """Counts stored in-app messages, straight from the store (SQLite file or PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._pg: object | None = None

    async def count(self) -> int:
        if self.url.startswith("sqlite"):
            path = self.url.split("///", 1)[1]

            def read() -> int:
                with sqlite3.connect(path) as db:
                    return int(db.execute("SELECT count(*) FROM messages").fetchone()[0])

            return await asyncio.to_thread(read)
        import asyncpg

        if self._pg is None:
            self._pg = await asyncpg.connect(self.url.replace("postgresql+asyncpg", "postgresql"))
        return int(await self._pg.fetchval("SELECT count(*) FROM messages"))  # type: ignore[attr-defined]

    async def wait(self, target: int, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while (now := time.monotonic()) < deadline:
            if await self.count() >= target:
                return now
            await asyncio.sleep(0.05)
        raise TimeoutError(f"only {await self.count()} of {target} in-app messages after {timeout:.0f}s")

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.close()  # type: ignore[attr-defined]


@dataclass
class PrivateDatabase:
    """A PostgreSQL database for this run only; dropped at the end whatever happened."""

    server: str
    name: str = ""

    async def create(self) -> str:
        import asyncpg

        self.name = f"bench_trigger_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(self.server.replace("postgresql+asyncpg", "postgresql"))
        try:
            await admin.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await admin.close()
        return self.server.rsplit("/", 1)[0] + f"/{self.name}"

    async def drop(self) -> None:
        if not self.name:
            return
        import asyncpg

        admin = await asyncpg.connect(self.server.replace("postgresql+asyncpg", "postgresql"))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await admin.close()


async def largest_history(client: Client, limit: int = 2000) -> tuple[int, str, int]:
    """(events, workflow id, runs looked at): the longest history among the server's runs."""
    runs = [(w.id, w.run_id) async for w in client.list_workflows(limit=limit)]
    gate = asyncio.Semaphore(8)

    async def length(workflow_id: str, run_id: str | None) -> tuple[int, str]:
        async with gate:
            history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
            return len(history.events), workflow_id

    lengths = await asyncio.gather(*(length(w, r) for w, r in runs))
    longest, which = max(lengths, default=(0, ""))
    return longest, which, len(runs)


class Scale:
    def __init__(self, args: argparse.Namespace, folder: Path, source: Path, version: str) -> None:
        self.args, self.folder, self.source, self.version = args, folder, source, version
        self.stack = Stack(folder)
        self.cpu = CpuMeter(self.stack)
        self.costs: list[Cost] = []
        self.rates: list[tuple[str, ...]] = []
        self.info: list[tuple[str, str]] = []
        self.database = PrivateDatabase(args.postgres_url) if args.store == "postgres" else None

    async def run(self) -> None:
        say(f"clarion bench (scale): {machine()}; load average {os.getloadavg()[0]:.2f}; folder {self.folder}")
        try:
            await self._run()
        finally:
            self.stack.stop()
            if self.database is not None:
                await self.database.drop()

    async def _run(self) -> None:
        a = self.args
        ports = {name: free_port() for name in ("temporal", "ui", "api", "smtp", "metrics")}
        s = bench_settings(self.folder, temporal_port=ports["temporal"], ui_port=ports["ui"], api_port=ports["api"],
                           smtp_port=ports["smtp"])
        if self.database is not None:
            s = s.model_copy(update={"database": DatabaseSettings(url=await self.database.create())})
        seeded = await prepare_database(s)
        temporal = self.stack.start("temporal", [
            temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(s.dev.temporal_port),
            "--ui-port", str(s.dev.temporal_ui_port), "--metrics-port", str(ports["metrics"]),
            *DEV_TEMPORAL_FLAGS, *dev_server_flags(),
        ], dict(os.environ), self.folder)
        await wait_port(s.dev.temporal_port, temporal, timeout=300)
        env = child_env(s, self.folder, bytecode_cache=True)
        api = self.stack.start("clarion-api", [sys.executable, "-m", "clarion", "api"], env, self.source)
        await wait_http(f"http://127.0.0.1:{s.api.port}/health", api, timeout=300)  # a loaded machine starts slowly
        messages = Messages(s.database_url)
        http = ApiClient.with_key(s.api.port, seeded.api_key)
        client = await Client.connect(s.temporal.address)
        say(f"store: {'PostgreSQL database ' + self.database.name if self.database else 'SQLite file (WAL)'}; "
            f"single triggers per worker count: {a.events}; topic members: {a.topic_members or 'none'}")
        try:
            workers: list[Child] = []
            for count in range(1, a.workers + 1):
                workers.append(await self._add_worker(env, count))
                await self._singles(http, messages, count)
            if a.topic_members:
                await self._topic(s, seeded.environment_id, http, messages, client, len(workers))
            for child in self.stack.children:
                self.info.append((f"peak RSS of {child.name} (VmHWM)", f"{peak_rss_mib(child.proc.pid):.0f} MiB"))
        finally:
            await http.aclose()
            await messages.close()
        self._report(s)

    async def _add_worker(self, env: dict[str, str], count: int) -> Child:
        worker = self.stack.start(f"worker-{count}", [sys.executable, "-m", "clarion", "worker"], env, self.source)
        await wait_log(worker, "worker polling task queue", timeout=300)
        return worker

    async def _singles(self, http: ApiClient, messages: Messages, workers: int) -> None:
        before = await messages.count()
        warm = await http_triggers(http, WORKFLOW, f"warm{workers}", 20, 4)
        await messages.wait(before + warm.ok, 300)
        before = await messages.count()
        mark = self.cpu.mark()
        start = time.monotonic()
        burst = await http_triggers(http, WORKFLOW, f"w{workers}", self.args.events, 32)
        seen = await messages.wait(before + burst.ok, max(600.0, burst.ok))
        used = self.cpu.done(f"{workers} worker(s): single triggers", mark)
        self.costs.append(Cost(f"{workers} worker(s): single trigger delivered", burst.ok, used))
        self.stack.check()
        rate = burst.ok / (seen - start)
        self.rates.append((f"{workers} worker(s)", f"{burst.ok} single triggers", f"{rate:.1f}/s",
                           f"{burst.ok / burst.elapsed:.1f}/s"))
        say(f"  {workers} worker(s): {burst.ok} single triggers delivered in {seen - start:.1f}s = {rate:.1f}/s "
            f"{dict(burst.outcomes)}")

    async def _topic(self, s: Settings, environment_id: uuid.UUID, http: ApiClient, messages: Messages,
                     client: Client, workers: int) -> None:
        members = self.args.topic_members
        started = time.monotonic()
        await add_topic(s, environment_id, TOPIC, members)
        say(f"  topic of {members:,} members stored in {time.monotonic() - started:.0f}s")
        before = await messages.count()
        mark = self.cpu.mark()
        start = time.monotonic()
        response = await http.post(TRIGGER, json={
            "name": WORKFLOW, "to": [{"type": "Topic", "topicKey": TOPIC}], "transactionId": "scale-topic-1",
            "payload": {"title": "Announcement", "item": "the new plan", "n": 1},
        })
        if response.status_code != 201:
            raise RuntimeError(f"topic trigger answered {response.status_code}: {response.text[:300]}")
        seen = await messages.wait(before + members, max(900.0, members / 5))
        self.costs.append(Cost(f"{workers} worker(s): topic member delivered", members,
                               self.cpu.done(f"{workers} worker(s): topic", mark)))
        self.stack.check()
        rate = members / (seen - start)
        self.rates.append((f"{workers} worker(s)", f"topic of {members:,} members", f"{rate:.1f}/s", ""))
        say(f"  topic: {members:,} in-app messages stored {seen - start:.1f}s after the trigger = {rate:.0f}/s")
        longest, which, runs = await largest_history(client)
        self.info.append(("longest history among the server's runs",
                          f"{longest} events ({which}; {runs} runs looked at)"))

    def _report(self, s: Settings) -> None:
        cores = os.cpu_count() or 1
        w = s.worker
        say("\n=== Clarion scale-out benchmark ===")
        say(f"machine: {machine()}; clarion code {self.version}; store {self.args.store}; "
            f"recipients_per_batch={w.recipients_per_batch}, max_concurrent_activities={w.max_concurrent_activities}")
        say(plain_table(("workers", "what", "deliveries/s", "accepted/s"), self.rates))
        names = [*(c.name for c in self.stack.children), "bench"]
        say(f"\nCPU per process and phase (100% = one core; {cores} cores):")
        say(cpu_table(self.cpu.phases, names))
        shared = [p.phase for p in self.cpu.phases if p.percent["others"] > 15]
        if shared:
            say(f"WARNING: other processes used over 15% CPU during: {', '.join(shared)}; the rates are not reliable.")
        say("\nCPU cost per item (ms of CPU per delivered message, per process):")
        say(cost_table(self.costs, names, cores))
        say("")
        say(info_table(self.info))
