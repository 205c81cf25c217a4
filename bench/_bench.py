"""The measurements of ``trigger.py`` and their report (imported once the source snapshot is on sys.path)."""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from collections.abc import Awaitable
from dataclasses import asdict, dataclass
from pathlib import Path

import temporalio
from _harness import Cost, CpuMeter, Stack, rss_mib, wait_quiet
from _load import (
    TRIGGER,
    Burst,
    bulk_triggers,
    clarion_latency,
    http_triggers,
    raw_latency,
    raw_runs,
    raw_starts,
)
from _metrics import frontend_requests, history_length, rpc_table
from _report import Row, cost_table, cpu_table, info_table, machine, percentile, plain_table, results_table
from _services import Services, start_services
from _setup import TASK_QUEUE, WORKFLOW, add_topic

from clarion.dev import DEV_TEMPORAL_FLAGS, temporal_binary

TOPIC = "bench-topic"
FAILURES = ("RespondWorkflowTaskFailed", "RespondActivityTaskFailed")


@dataclass(frozen=True)
class Sizes:
    concurrency: int  # HTTP single triggers, raw starts, e2e triggers, raw workflow starts
    raw_starts: int
    http_triggers: int
    bulk_calls: int  # of 100 events each
    bulk_concurrency: int
    e2e_events: int
    topic_members: int
    latency_samples: int
    warmup: int


# Every accepted trigger is real work for the one worker (~10-20 deliveries/s here), and each burst
# is drained before the next phase: 1 000 single + 2 000 bulk events keep the full run near 4-5 minutes.
FULL = Sizes(32, 1000, 1000, 20, 3, 300, 10_000, 100, 30)
QUICK = Sizes(32, 300, 300, 3, 3, 100, 2_000, 30, 10)


def say(text: str) -> None:
    print(text, flush=True)


def drain_timeout(events: int) -> float:
    return max(300.0, events / 2)  # generous: a shared machine delivers far slower


class Bench:
    def __init__(self, args: argparse.Namespace, folder: Path, source: Path, version: str) -> None:
        self.sizes = QUICK if args.quick else FULL
        self.file_db = args.temporal_db == "file"
        self.bytecode_cache = not args.no_bytecode_cache
        self.patience: float = args.wait_quiet
        self.folder = folder
        self.source = source
        self.version = version
        self.stack = Stack(folder)
        self.cpu = CpuMeter(self.stack)
        self.rows: list[Row] = []
        self.costs: list[Cost] = []
        self.rpcs: list[tuple[str, ...]] = []
        self.failures: dict[str, int] = {}
        self.info: list[tuple[str, str]] = []

    async def run(self) -> None:
        z = self.sizes
        say(f"clarion bench: {machine()}; load average {os.getloadavg()[0]:.2f}; folder {self.folder}")
        if self.patience:
            say(f"waiting up to {self.patience:.0f}s for a quiet machine (other processes under 20% of a core)")
            busy = await wait_quiet(20, self.patience)
            say(f"machine busy at {busy:.0f}% of a core before starting")
        say(f"sizes: {asdict(z)}")
        sv = await start_services(self.stack, self.folder, self.source, file_db=self.file_db,
                                  bytecode_cache=self.bytecode_cache)
        say("started: temporal dev server, clarion worker, clarion api (+ one on an unpolled queue), raw worker")
        try:
            first = await frontend_requests(sv.metrics_url)
            await self.measure(sv)
            failed = await frontend_requests(sv.metrics_url) - first
        finally:
            await sv.close()
        self.failures = {op: failed[op] for op in FAILURES if failed[op]}
        self.info.append(("failed workflow / activity tasks over the run (Temporal frontend)",
                          str(self.failures or "none")))
        self.report(sv)

    async def measure(self, sv: Services) -> None:
        z = self.sizes
        mark = self.cpu.mark()
        warm = await http_triggers(sv.http, WORKFLOW, "warm", z.warmup, 4)
        warm_bulk = await bulk_triggers(sv.http, WORKFLOW, "bulk-warm", 1, z.warmup, 1)  # batched runs, warm too
        await http_triggers(sv.idle_http, WORKFLOW, "idle-warm", z.warmup, 4)
        await sv.inbox.wait_count(warm.ok + warm_bulk.ok, 60)
        await raw_runs(sv.client, z.warmup, 4)
        self.cpu.done("warm-up", mark)

        # 1. HTTP single-trigger acceptance rate over the raw start rate, same concurrency.
        raw_start = await self.phase("raw starts", raw_starts(sv.client, z.raw_starts, z.concurrency),
                                     "raw start_workflow (nobody polls)")
        idle = await self.phase("http triggers, unpolled queue",
                                http_triggers(sv.idle_http, WORKFLOW, "idle", z.http_triggers, z.concurrency),
                                "HTTP trigger to a queue nobody polls")
        single, single_delivered = await self.delivered_burst(
            sv, "http triggers", http_triggers(sv.http, WORKFLOW, "single", z.http_triggers, z.concurrency))
        self.rows.append(Row(f"HTTP single trigger, {z.concurrency} concurrent", single.rate,
                             "raw start_workflow", raw_start.rate, "/s", 0.8))
        self.info.append(("HTTP single trigger to a queue nobody polls (API + start only) / raw start",
                          f"{idle.rate:.1f}/s / {raw_start.rate:.1f}/s = {idle.rate / raw_start.rate:.2f}x"))
        # 2. Bulk events/s over single-trigger events/s.
        bulk, bulk_delivered = await self.delivered_burst(sv, "http bulk", bulk_triggers(
            sv.http, WORKFLOW, "bulk", z.bulk_calls, 100, z.bulk_concurrency))
        self.rows.append(Row(f"bulk trigger (100/call, {z.bulk_concurrency} concurrent) events", bulk.rate,
                             "single trigger", single.rate, "/s", 3.0))
        # 3. End-to-end in-app deliveries/s over raw two-activity workflows completed/s.
        rpcs = [await frontend_requests(sv.metrics_url)]
        raw_run = await self.phase("raw workflows", raw_runs(sv.client, z.e2e_events, z.concurrency, "raw-e2e"),
                                   "raw 2-activity workflow, start to result")
        rpcs.append(await frontend_requests(sv.metrics_url))
        e2e = await self.end_to_end(sv)
        rpcs.append(await frontend_requests(sv.metrics_url))
        self.rpcs = rpc_table({
            "raw 2-activity workflow": (rpcs[1] - rpcs[0], raw_run.ok),
            "Clarion single trigger": (rpcs[2] - rpcs[1], z.e2e_events),
        })
        self.rpcs.append(("history events of one run", str(await history_length(sv.client, "raw-e2e-0")),
                          str(await history_length(sv.client, f"trigger:{sv.environment_id}:e2e-0"))))
        self.rows.append(Row(f"in-app deliveries, {z.http_triggers:,} single triggers", single_delivered,
                             "raw 2-activity workflows", raw_run.rate, "/s", 1.0))
        self.rows.append(Row(f"in-app deliveries, {z.e2e_events} single triggers (e2e)", e2e,
                             "raw 2-activity workflows", raw_run.rate, "/s", 1.0))
        self.rows.append(Row(f"in-app deliveries, {z.bulk_calls * 100:,} bulk events", bulk_delivered,
                             "raw 2-activity workflows", raw_run.rate, "/s", 10.0))
        # 4. One trigger to a topic.
        topic = await self.topic(sv)
        self.rows.append(Row(f"topic of {z.topic_members:,} members, in-app deliveries", topic,
                             "raw 2-activity workflows", raw_run.rate, "/s", 10.0))
        # 5. Latency, sequential.
        mark = self.cpu.mark()
        raw_lat = await raw_latency(sv.client, z.latency_samples)
        self.costs.append(Cost("raw workflow, sequential", z.latency_samples, self.cpu.done("raw latency", mark)))
        mark = self.cpu.mark()
        stored, acked = await clarion_latency(sv.http, sv.inbox, WORKFLOW, z.latency_samples)
        self.costs.append(Cost("trigger to stored message, sequential", z.latency_samples,
                               self.cpu.done("clarion latency", mark)))
        for q, target in ((50, 2.0), (99, 1.5)):
            self.rows.append(Row(f"latency p{q}: trigger -> stored in-app message", 1000 * percentile(stored, q),
                                 "raw start -> result", 1000 * percentile(raw_lat, q), "ms", target,
                                 higher_is_better=False))
        self.info += [
            ("trigger -> HTTP 201, p50 / p99 (latency phase)",
             f"{1000 * percentile(acked, 50):.1f} / {1000 * percentile(acked, 99):.1f} ms"),
            ("messages by channel at the end", str(sv.inbox.count_by_channel())),
            *((f"RSS of {c.name} at the end", f"{rss_mib(c.proc.pid):.0f} MiB") for c in self.stack.children),
        ]

    async def phase(self, name: str, work: Awaitable[Burst], cost: str = "") -> Burst:
        mark = self.cpu.mark()
        burst = await work
        used = self.cpu.done(name, mark)
        if cost and burst.ok:
            self.costs.append(Cost(cost, burst.ok, used))
        self.stack.check()
        say(f"  {name}: {burst.ok} ok in {burst.elapsed:.1f}s = {burst.rate:.1f}/s {dict(burst.outcomes)}")
        if burst.outcomes.keys() - {"ok"}:
            self.info.append((f"{name}: non-success outcomes", str(dict(burst.outcomes))))
        return burst

    async def delivered_burst(self, sv: Services, name: str, work: Awaitable[Burst]) -> tuple[Burst, float]:
        """A trigger burst, then the wait until the worker has stored every accepted event's message;
        the burst and its deliveries/s (first request to last message stored)."""
        before = sv.inbox.count()
        start = time.monotonic()
        burst = await self.phase(name, work)
        accepting = self.cpu.phases[-1]
        mark = self.cpu.mark()
        seen = await sv.inbox.wait_count(before + burst.ok, drain_timeout(burst.ok))
        self.costs.append(Cost(f"{name}: accept + run + store, per event", burst.ok,
                               accepting + self.cpu.done(f"{name}: drain", mark)))
        rate = burst.ok / (seen - start)
        say(f"  {name}: all {burst.ok} delivered {seen - start:.1f}s after the first request = {rate:.1f}/s")
        self.info.append((f"{name}: deliveries/s, first request -> last message stored",
                          f"{rate:.1f}/s ({burst.ok} in {seen - start:.1f}s, one worker draining a backlog)"))
        return burst, rate

    async def end_to_end(self, sv: Services) -> float:
        z = self.sizes
        before = sv.inbox.count()
        mark = self.cpu.mark()
        start = time.monotonic()
        sent = await http_triggers(sv.http, WORKFLOW, "e2e", z.e2e_events, z.concurrency)
        seen = await sv.inbox.wait_count(before + sent.ok, drain_timeout(sent.ok))
        self.costs.append(Cost("single trigger, accept + run + store", sent.ok, self.cpu.done("clarion e2e", mark)))
        self.stack.check()
        rate = sent.ok / (seen - start)
        say(f"  e2e: {sent.ok} triggers accepted in {sent.elapsed:.1f}s, all stored after {seen - start:.1f}s "
            f"= {rate:.1f} deliveries/s {dict(sent.outcomes)}")
        return rate

    async def topic(self, sv: Services) -> float:
        z = self.sizes
        await add_topic(sv.settings, sv.environment_id, TOPIC, z.topic_members)
        before = sv.inbox.count()
        mark = self.cpu.mark()
        start = time.monotonic()
        response = await sv.http.post(TRIGGER, json={
            "name": WORKFLOW, "to": [{"type": "Topic", "topicKey": TOPIC}], "transactionId": "topic-1",
            "payload": {"title": "Announcement", "item": "the new plan", "n": 1},
        })
        if response.status_code != 201:
            raise RuntimeError(f"topic trigger answered {response.status_code}: {response.text[:300]}")
        seen = await sv.inbox.wait_count(before + z.topic_members, drain_timeout(z.topic_members))
        self.costs.append(Cost("topic member delivery", z.topic_members, self.cpu.done("clarion topic", mark)))
        self.stack.check()
        rate = z.topic_members / (seen - start)
        say(f"  topic: {z.topic_members} in-app messages stored {seen - start:.1f}s after the trigger = {rate:.0f}/s")
        return rate

    def report(self, sv: Services) -> None:
        s = sv.settings
        w = s.worker
        cores = os.cpu_count() or 1
        version = subprocess.run([temporal_binary(), "--version"], capture_output=True, text=True, check=False)
        say("\n=== Clarion trigger benchmark: ratios against raw Temporal, same run, same dev server ===")
        say(f"machine: {machine()}")
        say(f"temporal: {version.stdout.strip()}; temporalio {temporalio.__version__}; dev server persistence "
            f"{'SQLite file (WAL)' if self.file_db else 'in-memory'}; flags {' '.join(DEV_TEMPORAL_FLAGS)}")
        say(f"clarion: code {self.version} (copied at the start); 1 worker process (task queue {TASK_QUEUE!r}), "
            "1 API process (uvicorn, auto loop), SQLite store (WAL)")
        say(f"clarion settings: recipients_per_batch={w.recipients_per_batch}, max_concurrent_activities="
            f"{w.max_concurrent_activities}, max_concurrent_workflow_tasks={w.max_concurrent_workflow_tasks}, "
            f"send_concurrency={w.send_concurrency}, database pool_size={s.database.pool_size}, "
            f"log_level={s.log_level}")
        say("raw baseline: 1 worker process, same limits, default sandboxed runner; started at the same concurrency")
        inherited = f"as inherited (PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')})"
        cached = "compiled once, cached in the temporary folder"
        say(f"children's bytecode: {cached if self.bytecode_cache else inherited}")
        say(f"sizes: {asdict(self.sizes)}\n")
        say(results_table(self.rows))
        if self.failures:
            say(f"WARNING: Temporal saw failed tasks ({self.failures}): something broke during the run (see the "
                "worker log with --keep); the figures do not measure a healthy Clarion.")
        say(f"{sum(r.verdict == 'PASS' for r in self.rows)} of {len(self.rows)} targets met.\n")
        say(f"CPU per process and phase (100% = one core; this machine has {cores} = {100 * cores}%):")
        names = [*(c.name for c in self.stack.children), "bench"]
        say(cpu_table(self.cpu.phases, names))
        shared = [p.phase for p in self.cpu.phases if p.percent["others"] > 15]
        if shared:
            say(f"WARNING: other processes used over 15% CPU during: {', '.join(shared)}. The machine was shared; "
                "those figures and ratios are not reliable. Run again on a quiet machine.")
        say("\nCPU cost per item (ms of CPU time per start / event / delivery / workflow; the ceiling is what "
            "that cost allows if our processes had every core):")
        say(cost_table(self.costs, names, cores))
        say("\nWhat the Temporal server did per item (e2e phase; the raw side includes the benchmark's result reads):")
        say(plain_table(self.rpcs[0], self.rpcs[1:]))
        say("")
        say(info_table(self.info))
