"""Workato event streams: publish/s and consume/s through Clarion's API against raw SQL on the same database.

    .venv/bin/python bench/streams.py                      # SQLite file, about a minute
    .venv/bin/python bench/streams.py --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/streams.py --quick              # small sizes: a check that it runs

Starts one API process (``python -m clarion api``) over a fresh database, measures, then runs the
raw baseline (INSERT / SELECT with the same concurrency, in this process) on the same database,
and prints each figure with its ratio. Absolute numbers depend on the machine; the ratios less so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from _api_client import ApiClient
from _harness import cpu_seconds, free_port
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from store import tenancy
from store.engine import create_engine, make_sessions
from store.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
RAW_TABLE = "CREATE TABLE bench_raw (topic INTEGER NOT NULL, seq BIGINT NOT NULL, payload TEXT NOT NULL, " \
            "PRIMARY KEY (topic, seq))"


def say(line: str) -> None:
    print(line, flush=True)


def payload(n: int) -> dict[str, object]:
    return {"OrderId": f"o-{n}", "Quantity": n % 7, "Note": "x" * 200}


async def timed(work: Callable[[], Awaitable[int]]) -> tuple[int, float]:
    started = time.perf_counter()
    count = await work()
    return count, time.perf_counter() - started


async def measured(pid: int, work: Callable[[], Awaitable[int]]) -> tuple[int, float, float, float]:
    """``work``'s count and wall seconds, the API process's CPU seconds and this process's (the load generator)."""
    api, own = cpu_seconds(pid), time.process_time()
    count, took = await timed(work)
    return count, took, cpu_seconds(pid) - api, time.process_time() - own


async def spread(total: int, workers: int, one: Callable[[int], Awaitable[int]]) -> int:
    """``one(i)`` for i in 0..total-1 over ``workers`` concurrent loops; the sum of what they return."""
    queue = iter(range(total))

    async def loop() -> int:
        done = 0
        for i in queue:
            done += await one(i)
        return done

    return sum(await asyncio.gather(*(loop() for _ in range(workers))))


class Clarion:
    def __init__(self, client: ApiClient, topic: int) -> None:
        self.client, self.topic = client, topic

    async def single(self, i: int) -> int:
        r = await self.client.post(f"/api/v1/topics/{self.topic}/publish", json=payload(i))
        assert r.status_code == 200, r.text
        return 1

    async def batch(self, i: int, size: int) -> int:
        items = [payload(i * size + j) for j in range(size)]
        r = await self.client.post(f"/api/v1/batch/topics/{self.topic}/publish", json=items)
        assert r.status_code == 200 and not r.json()["is_partial_error"], r.text
        return size

    async def consume_all(self) -> int:
        read, cursor = 0, None
        while True:
            body = {"batch_size": 50} if cursor is None else {"batch_size": 50, "after_message_id": cursor}
            r = await self.client.post(f"/api/v1/topics/{self.topic}/consume", json=body)
            messages = r.json()["messages"]
            if not messages:
                return read
            read += len(messages)
            cursor = messages[-1]["message_id"]


class Raw:
    """The floor: one INSERT transaction per message (or per batch), keyset SELECTs of 50."""

    def __init__(self, engine: AsyncEngine, topic: int) -> None:
        self.engine, self.topic, self.seq = engine, topic, 0

    async def insert(self, i: int, size: int = 1) -> int:
        rows = []
        for _ in range(size):
            self.seq += 1
            rows.append({"t": self.topic, "s": self.seq, "p": json.dumps(payload(self.seq))})
        async with self.engine.begin() as conn:
            await conn.execute(text("INSERT INTO bench_raw (topic, seq, payload) VALUES (:t, :s, :p)"), rows)
        return size

    async def consume_all(self) -> int:
        read, cursor = 0, 0
        query = text("SELECT seq, payload FROM bench_raw WHERE topic = :t AND seq > :c ORDER BY seq LIMIT 50")
        while True:
            async with self.engine.connect() as conn:
                rows = (await conn.execute(query, {"t": self.topic, "c": cursor})).all()
            if not rows:
                return read
            read += len(rows)
            cursor = rows[-1][0]


async def prepare(url: str) -> tuple[AsyncEngine, str]:
    engine = create_engine(url, pool_size=20)
    await upgrade(engine)
    async with engine.begin() as conn:
        await conn.execute(text(RAW_TABLE))
    async with make_sessions(engine)() as session, session.begin():
        org = await tenancy.get_or_create_organization(session=session, slug="bench", name="Bench")
        project = await tenancy.get_or_create_project(session=session, organization_id=org.id, slug="p", name="P")
        env = await tenancy.get_or_create_environment(session=session, project=project, slug="e", name="E")
        key = (await tenancy.create_key(session=session, name="bench", environment=env)).raw
    return engine, key


async def measure(args: argparse.Namespace, url: str) -> None:
    engine, key = await prepare(url)
    port = free_port()
    env = {**os.environ, "CLARION_MODE": "dev", "CLARION_DATABASE__URL": url, "CLARION_API__PORT": str(port),
           "CLARION_TEMPORAL__ADDRESS": "127.0.0.1:1", "CLARION_LOG_LEVEL": "warning",
           "CLARION_API__RATE_LIMIT_PER_MINUTE": "0"}  # the benchmark is one key far over 600/min
    api = subprocess.Popen([sys.executable, "-m", "clarion", "api"], env=env, cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    headers = {"Authorization": f"Bearer {key}"}
    results: list[tuple[int, str, float, float, float, float]] = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60,
                                     limits=httpx.Limits(max_connections=64)) as client:
            # Up to two minutes: a loaded machine imports the API slowly.
            for _ in range(1200):
                try:
                    if (await client.get("/api/event_streams/topics", headers=headers)).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            topics = []
            for name in ("single", "batch"):
                r = await client.post("/api/event_streams/topics", headers=headers, json={"name": name, "schema": [
                    {"name": "OrderId", "type": "string", "optional": False}, {"name": "Quantity", "type": "integer"}]})
                topics.append(int(r.json()["data"]["id"]))
            # The measured requests go through the cheaper client (bench/_api_client.py).
            fast = ApiClient(f"http://127.0.0.1:{port}", headers)
            single, batch = Clarion(fast, topics[0]), Clarion(fast, topics[1])
            raw_single, raw_batch = Raw(engine, 1), Raw(engine, 2)
            n, batches = args.messages, args.batch_messages // 100

            # Rounds alternate Clarion and raw SQL figure by figure, so a burst of noise lands on both.
            for number in range(1, args.rounds + 1):
                count, took, api_cpu, own_cpu = await measured(
                    api.pid, lambda: spread(n, args.concurrency, single.single))
                raw_count, raw_took = await timed(lambda: spread(n, args.concurrency, raw_single.insert))
                results.append((number, f"publish, {args.concurrency} concurrent", count / took, raw_count / raw_took,
                                1000 * api_cpu / count, 1000 * own_cpu / count))

                count, took, api_cpu, own_cpu = await measured(
                    api.pid, lambda: spread(batches, 4, lambda i: batch.batch(i, 100)))
                raw_count, raw_took = await timed(lambda: spread(batches, 4, lambda i: raw_batch.insert(i, 100)))
                results.append((number, "batch publish (100/call), 4 concurrent", count / took, raw_count / raw_took,
                                1000 * api_cpu / count, 1000 * own_cpu / count))

            count, took, api_cpu, own_cpu = await measured(api.pid, single.consume_all)
            raw_count, raw_took = await timed(raw_single.consume_all)
            assert count == raw_count == n * args.rounds, (count, raw_count)
            results.append((0, "consume (batches of 50), 1 consumer", count / took, raw_count / raw_took,
                            1000 * api_cpu / count, 1000 * own_cpu / count))
            await fast.aclose()
    finally:
        api.terminate()
        api.wait(10)
        await engine.dispose()
    say(f"\n{engine.dialect.name}: {args.messages} messages per figure, {args.batch_messages} in batches\n")
    say(f"{'round':6} {'figure':42} {'Clarion msg/s':>14} {'raw SQL msg/s':>14} {'ratio':>7} {'API CPU ms/msg':>15} "
        f"{'client CPU ms/msg':>18}")
    for number, name, ours, raw, cost, client in results:
        say(f"{number or '-':<6} {name:42} {ours:14.0f} {raw:14.0f} {ours / raw:7.2f} {cost:15.3f} {client:18.3f}")
    say("")
    for name in dict.fromkeys(name for _, name, *_ in results):
        ratios = [ours / raw for _, figure, ours, raw, _, _ in results if figure == name]
        say(f"{name:42} median ratio {statistics.median(ratios):.2f} over {len(ratios)} round(s)")


async def main(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="clarion-bench-streams-"))
    database = None
    try:
        if args.postgres:
            import asyncpg

            database = f"bench_streams_{uuid.uuid4().hex[:8]}"
            admin = await asyncpg.connect(args.postgres.replace("postgresql+asyncpg", "postgresql"))
            await admin.execute(f'CREATE DATABASE "{database}"')
            await admin.close()
            url = args.postgres.rsplit("/", 1)[0] + f"/{database}"
        else:
            url = f"sqlite+aiosqlite:///{folder / 'clarion.db'}"
        await measure(args, url)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if database:
            admin = await asyncpg.connect(args.postgres.replace("postgresql+asyncpg", "postgresql"))
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await admin.close()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server URL; a database is created and dropped")
    parser.add_argument("--messages", type=int, default=3000, help="messages per figure (default 3000)")
    # Ten times the single figure's: 3 000 rows are 30 raw transactions, under a tenth of a second.
    parser.add_argument("--batch-messages", type=int, default=30000,
                        help="messages of the batch figure, 100 a call (default 30000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the publish figures (default 3)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent single publishers (default 16)")
    parser.add_argument("--quick", action="store_true", help="300 messages: a check that it runs, not a measure")
    args = parser.parse_args()
    if args.quick:
        args.messages, args.batch_messages, args.rounds = 300, 3000, 1
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
