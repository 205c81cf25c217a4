"""Load generators and probes: raw Temporal starts and runs, Clarion's HTTP triggers, the inbox table."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _api_client import ApiClient
from _raw import RAW_QUEUE, UNPOLLED_QUEUE, UNPOLLED_WORKFLOW, RawWorkflow
from temporalio.client import Client, WorkflowHandle

TRIGGER = "/v1/events/trigger"
BULK = "/v1/events/trigger/bulk"


@dataclass
class Burst:
    """What a pool of concurrent callers achieved: successes over the wall time of the whole pool."""

    ok: int
    elapsed: float
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0


async def pool(total: int, concurrency: int, job: Callable[[int], Awaitable[str]]) -> Burst:
    """Run ``job(0..total-1)`` with ``concurrency`` callers; ``job`` returns an outcome label ("ok" counts)."""
    outcomes: Counter[str] = Counter()
    next_index = iter(range(total))

    async def caller() -> None:
        for index in next_index:
            try:
                outcomes[await job(index)] += 1
            except Exception as exc:  # counted and reported, never hidden
                outcomes[type(exc).__name__] += 1

    start = time.monotonic()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return Burst(outcomes["ok"], time.monotonic() - start, outcomes)


def event(name: str, subscriber: str, transaction_id: str, n: int) -> dict[str, Any]:
    return {"name": name, "to": subscriber, "transactionId": transaction_id,
            "payload": {"title": "Order update", "item": f"order {n}", "n": n}}


async def http_triggers(
    http: ApiClient, workflow: str, prefix: str, total: int, concurrency: int
) -> Burst:
    async def one(i: int) -> str:
        response = await http.post(TRIGGER, json=event(workflow, f"sub-{prefix}-{i}", f"{prefix}-{i}", i))
        return "ok" if response.status_code == 201 else f"HTTP {response.status_code}"

    return await pool(total, concurrency, one)


async def bulk_triggers(
    http: ApiClient, workflow: str, prefix: str, calls: int, per_call: int, concurrency: int
) -> Burst:
    """``calls`` bulk requests of ``per_call`` events; ``ok`` counts accepted (processed) events."""
    accepted = 0

    async def one(c: int) -> str:
        nonlocal accepted
        events = [event(workflow, f"sub-{prefix}-{c}-{i}", f"{prefix}-{c}-{i}", i) for i in range(per_call)]
        response = await http.post(BULK, json={"events": events})
        if response.status_code != 201:
            return f"HTTP {response.status_code}"
        accepted += sum(1 for r in response.json()["data"] if r.get("status") == "processed")
        return "ok"

    burst = await pool(calls, concurrency, one)
    return Burst(accepted, burst.elapsed, burst.outcomes)


async def raw_starts(client: Client, total: int, concurrency: int) -> Burst:
    """``start_workflow`` of a type nobody polls: Temporal's start ceiling from one process."""
    run = uuid.uuid4().hex[:8]

    async def one(i: int) -> str:
        await client.start_workflow(UNPOLLED_WORKFLOW, id=f"unpolled-{run}-{i}", task_queue=UNPOLLED_QUEUE)
        return "ok"

    return await pool(total, concurrency, one)


async def raw_runs(client: Client, total: int, concurrency: int, prefix: str = "") -> Burst:
    """Start ``total`` raw two-activity workflows (``concurrency`` starters), wait until all completed.

    Results are awaited in start order by a few readers, not by ``total`` concurrent long polls,
    so waiting costs the server little (as polling the inbox table costs Clarion little).
    """
    prefix = prefix or f"raw-{uuid.uuid4().hex[:8]}"
    handles: list[WorkflowHandle[Any, int]] = []
    started = asyncio.Event()
    start = time.monotonic()

    async def one(i: int) -> str:
        handles.append(await client.start_workflow(RawWorkflow.run, i, id=f"{prefix}-{i}", task_queue=RAW_QUEUE))
        return "ok"

    async def starts() -> Burst:
        try:
            return await pool(total, concurrency, one)
        finally:
            started.set()

    async def read(reader: int, readers: int) -> int:
        done = 0
        index = reader
        while True:
            while index >= len(handles):
                if started.is_set() and index >= len(handles):
                    return done
                await asyncio.sleep(0.01)
            await handles[index].result()
            done += 1
            index += readers

    readers = [asyncio.ensure_future(read(r, 4)) for r in range(4)]
    burst = await starts()
    done = sum(await asyncio.gather(*readers))
    return Burst(done, time.monotonic() - start, burst.outcomes)


class Inbox:
    """Reads the ``messages`` table straight from the SQLite file (WAL: never blocks the writers)."""

    def __init__(self, database: Path, environment_id: uuid.UUID) -> None:
        self._db = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        self._env = self._stored_env(environment_id)

    def _stored_env(self, environment_id: uuid.UUID) -> str:
        # How SQLAlchemy's Uuid type stored it (CHAR(32) hex on SQLite): read it back, do not assume.
        for (stored,) in self._db.execute("SELECT id FROM environments"):
            if uuid.UUID(str(stored)) == environment_id:
                return str(stored)
        raise LookupError(f"environment {environment_id} is not in the database")

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM messages").fetchone()[0])

    def count_by_channel(self) -> dict[str, int]:
        return {str(c): int(n) for c, n in self._db.execute("SELECT channel, count(*) FROM messages GROUP BY channel")}

    def has(self, transaction_id: str) -> bool:
        query = "SELECT 1 FROM messages WHERE environment_id = ? AND transaction_id = ? LIMIT 1"
        return self._db.execute(query, (self._env, transaction_id)).fetchone() is not None

    async def wait_count(self, target: int, timeout: float, every: float = 0.02) -> float:
        """Poll until ``target`` rows exist; return the monotonic time they were first seen."""
        deadline = time.monotonic() + timeout
        while (now := time.monotonic()) < deadline:
            if await asyncio.to_thread(self.count) >= target:
                return now
            await asyncio.sleep(every)
        raise TimeoutError(f"only {self.count()} of {target} in-app messages after {timeout:.0f}s")

    async def wait_transaction(self, transaction_id: str, timeout: float = 30, every: float = 0.002) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.has(transaction_id):
                return time.monotonic()
            await asyncio.sleep(every)
        raise TimeoutError(f"no in-app message for {transaction_id} after {timeout:.0f}s")


async def clarion_latency(
    http: ApiClient, inbox: Inbox, workflow: str, samples: int
) -> tuple[list[float], list[float]]:
    """Sequential triggers: seconds from sending the request to its in-app row, and to the 201."""
    stored: list[float] = []
    acked: list[float] = []
    run = uuid.uuid4().hex[:8]
    for i in range(samples):
        txid = f"lat-{run}-{i}"
        start = time.monotonic()
        response = await http.post(TRIGGER, json=event(workflow, f"sub-lat-{i % 10}", txid, i))
        acked.append(time.monotonic() - start)
        if response.status_code != 201:
            raise RuntimeError(f"trigger answered {response.status_code}: {response.text[:300]}")
        stored.append(await inbox.wait_transaction(txid) - start)
    return stored, acked


async def raw_latency(client: Client, samples: int) -> list[float]:
    """Sequential raw two-activity workflows: seconds from ``start_workflow`` to the result."""
    run = uuid.uuid4().hex[:8]
    took: list[float] = []
    for i in range(samples):
        start = time.monotonic()
        handle = await client.start_workflow(RawWorkflow.run, i, id=f"rawlat-{run}-{i}", task_queue=RAW_QUEUE)
        await handle.result()
        took.append(time.monotonic() - start)
    return took
