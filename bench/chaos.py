"""Chaos run: a notification load while processes die, counted at the receivers and in the store.

    .venv/bin/python bench/chaos.py [--singles 150] [--bulk 10x10] [--topic 300] [--runs 1] [--keep]
                                    [--webhook-policy at_least_once|at_most_once]

Starts a private PostgreSQL (initdb in a temporary folder, so a restart hurts nobody else), a private
redis-server on a free port as the real-time bus (when ``redis-server`` is installed; else PostgreSQL's
LISTEN/NOTIFY), the Temporal dev server (file-backed, so it can be killed and restarted), one Clarion
API and two Clarion workers as separate processes, and in this process a real SMTP server, a webhook
receiver and 50 live inbox clients (bench/_chaos_receivers.py). The load: single triggers, bulk
triggers, one topic of N members, and transactionIds sent again. Each trigger carries an in-app, an
email and a webhook step.

First a control run without faults, then each fault run with: every worker SIGKILLed in turn about
every 10 s (and started again), the API killed and restarted once, the Temporal server killed and
restarted once, Redis stopped and restarted once, PostgreSQL restarted once (immediate shutdown).
Clients retry a failed trigger with the same transactionId, as a client of an idempotent API would.

Per run and channel it prints ``lost=N duplicated=M unknown=K expected=E``:
- in_app: counted in the store (one row per idempotency key);
- email: at the SMTP server, by recipient and transactionId; each duplicate is checked for carrying
  the first copy's Message-ID;
- webhook: at the receiver, by (subscriber, transactionId); a duplicate is a second webhook-id for one
  of them, a POST again with a seen webhook-id is a redelivery the receiver drops (counted apart);
- socket: the live inbox clients of the 50 single-trigger subscribers; a message is delivered when a
  ``notification_received`` frame carried it or the client's re-fetch after a reconnect listed it;
- unknown: markers a retry found "transmitting" (the worker died inside the send's window; resent under
  ``at_least_once``), as noted in the execution details; still_unknown: what the store ends with as
  "outcome unknown" or "transmitting". It also prints each channel's unknown as a share of its sends and
  the workers' logged undecided windows (marker to "sent", split into the delivering act and the
  "sent" statement).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
SOURCE = BENCH.parent
sys.path.insert(0, str(SOURCE))  # Clarion's packages from this checkout, as the children run them

import httpx  # noqa: E402
from _chaos_receivers import InboxClients, PrivateRedis, SmtpSink, WebhookReceiver  # noqa: E402
from _harness import free_port, wait_http, wait_log, wait_port  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import text  # noqa: E402

from clarion.dev import DEV_TEMPORAL_FLAGS, temporal_binary  # noqa: E402
from clarion.runners import migrate_database  # noqa: E402
from clarion.seed import seed_demo  # noqa: E402
from core.run_identity import dev_server_flags  # noqa: E402
from core.settings import UNKNOWN_OUTCOME_DEFAULTS, Settings  # noqa: E402
from store import subscribers as subscriber_store  # noqa: E402
from store import workflows as workflow_store  # noqa: E402
from store.engine import create_engine, make_sessions  # noqa: E402
from store.models import Topic, TopicSubscriber  # noqa: E402

WORKFLOW = "chaos"
STEPS: list[dict[str, Any]] = [
    {"id": "inbox", "name": "Inbox", "type": "in_app", "active": True,
     "controls": {"body": "{{ payload.tx }} for {{ subscriber.subscriberId }}"}},
    {"id": "mail", "name": "Mail", "type": "email", "active": True,
     "controls": {"subject": "{{ payload.tx }}", "body": "<p>{{ payload.tx }}</p>"}},
    {"id": "hook", "name": "Hook", "type": "webhook", "active": True,
     "controls": {"eventType": "chaos.sent",
                  "body": '{"sub": "{{ subscriber.subscriberId }}", "tx": "{{ payload.tx }}"}'}},
]
WEBHOOK_SECRET = "whsec_" + "Y2hhb3MtY2hhb3MtY2hhb3MtY2hhb3MtY2hhb3M="
WATCHED = 50  # subscribers with a live inbox socket: every single subscriber (s000..s049)


# --------------------------------------------------------------------------- the processes


class Proc:
    """One child process that can be killed and started again with the same command."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], folder: Path) -> None:
        self.name, self.args, self.env, self.folder = name, args, env, folder
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = folder / f"{name}.log"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.args, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True, cwd=SOURCE)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])


class PrivatePostgres:
    """A PostgreSQL cluster of this run only (initdb as the postgres user when run as root)."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.data = folder / "pgdata"
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def init(self) -> None:
        if self._as:
            shutil.chown(self.folder, user="postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "postgres.log"), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"


@dataclass
class Cluster:
    folder: Path
    postgres: PrivatePostgres
    temporal: Proc
    api: Proc
    workers: list[Proc]
    api_url: str
    api_key: str
    temporal_port: int
    sink: SmtpSink
    webhooks: WebhookReceiver
    redis: PrivateRedis | None
    inbox: InboxClients
    events: list[str] = field(default_factory=list)

    def note(self, what: str) -> None:
        self.events.append(what)
        print(f"  fault: {what}", flush=True)

    def stop(self) -> None:
        for proc in (*self.workers, self.api, self.temporal):
            proc.stop()
        if self.redis is not None:
            self.redis.stop()


async def start_cluster(folder: Path, members: list[str], singles: list[str], webhook_policy: str) -> Cluster:
    ports = {name: free_port() for name in ("pg", "temporal", "ui", "api", "smtp", "hook", "redis")}
    postgres = PrivatePostgres(folder, ports["pg"])
    await asyncio.to_thread(postgres.init)
    await asyncio.to_thread(postgres.start)
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=ports["smtp"])
    controller.start()
    webhooks = WebhookReceiver(ports["hook"])
    await webhooks.start()
    redis = PrivateRedis(folder, ports["redis"]) if PrivateRedis.available() else None
    if redis is not None:
        redis.start()
        await wait_port(ports["redis"], redis)  # type: ignore[arg-type]
    settings = Settings(mode="dev", data_dir=folder, database={"url": postgres.url})
    await migrate_database(settings)
    engine = create_engine(postgres.url)
    sessions = make_sessions(engine)
    demo = await seed_demo(sessions, settings)
    env = uuid.UUID(demo.environment_id)
    async with sessions() as session, session.begin():
        await workflow_store.upsert(session=session, environment_id=env, identifier=WORKFLOW,
                                    values={"name": "Chaos", "steps": STEPS})
        everyone = members + singles
        await subscriber_store.upsert_many(session=session, environment_id=env,
                                           profiles={s: {"email": f"{s}@chaos.test"} for s in everyone})
        topic = Topic(environment_id=env, key="everyone", name="everyone")
        session.add(topic)
        await session.flush()
        stored = await subscriber_store.get_many(session=session, environment_id=env, subscriber_ids=members)
        session.add_all(TopicSubscriber(environment_id=env, topic_id=topic.id, subscriber_pk=stored[m].id)
                        for m in members)
    await engine.dispose()
    temporal = Proc("temporal", [
        temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(ports["temporal"]),
        "--ui-port", str(ports["ui"]), "--db-filename", str(folder / "temporal.db"), *DEV_TEMPORAL_FLAGS,
        *dev_server_flags(),
    ], dict(os.environ), folder)
    temporal.start()
    await wait_port(ports["temporal"], temporal)  # type: ignore[arg-type]
    env_vars = {
        **os.environ, "CLARION_MODE": "dev", "CLARION_DATA_DIR": str(folder), "PYTHONUNBUFFERED": "1",
        "CLARION_DATABASE__URL": postgres.url, "CLARION_DATABASE__POOL_SIZE": "8",
        "CLARION_TEMPORAL__ADDRESS": f"127.0.0.1:{ports['temporal']}", "CLARION_TEMPORAL__TASK_QUEUE": "chaos",
        "CLARION_SMTP__HOST": "127.0.0.1", "CLARION_SMTP__PORT": str(ports["smtp"]), "CLARION_SMTP__SECURITY": "none",
        "CLARION_SMTP__FROM_ADDRESS": "chaos@clarion.test", "CLARION_API__PORT": str(ports["api"]),
        "CLARION_WORKER__SEND_HEARTBEAT_SECONDS": "5", "CLARION_WORKER__RECIPIENTS_PER_BATCH": "100",
        "CLARION_WORKER__SEND_MAX_ATTEMPTS": "20",
        "CLARION_WORKER__UNKNOWN_OUTCOME": json.dumps({**UNKNOWN_OUTCOME_DEFAULTS, "webhook": webhook_policy}),
        # The real-time bus on a Redis of this run (restarted as a fault), else PostgreSQL's LISTEN/NOTIFY.
        **({"CLARION_REALTIME_BUS": "redis", "CLARION_REDIS_URL": redis.url} if redis is not None else {}),
    }
    me = [sys.executable, "-m", "clarion"]
    api = Proc("api", [*me, "api"], env_vars, folder)
    workers = [Proc(f"worker-{i}", [*me, "worker"], env_vars, folder) for i in (1, 2)]
    for proc in (api, *workers):
        proc.start()
    await wait_http(f"http://127.0.0.1:{ports['api']}/health", api, timeout=90)  # type: ignore[arg-type]
    for worker in workers:
        await wait_log(worker, "worker polling task queue", timeout=90)  # type: ignore[arg-type]
    api_url = f"http://127.0.0.1:{ports['api']}"
    headers = {"Authorization": f"ApiKey {demo.api_key}"}
    async with httpx.AsyncClient(base_url=api_url, headers=headers, timeout=20) as http:
        hook = {"providerId": "webhook", "credentials": {"url": webhooks.url, "secret": WEBHOOK_SECRET}}
        (await http.post("/v1/integrations", json=hook)).raise_for_status()
        env_body = (await http.put(f"/v1/environments/{demo.environment_id}", json={"inboxHmac": False})).json()
        inbox = InboxClients(api_url, singles[:WATCHED])
        await inbox.start(http, env_body["data"]["applicationIdentifier"])
    return Cluster(folder, postgres, temporal, api, workers, api_url, demo.api_key, ports["temporal"], sink,
                   webhooks, redis, inbox)


# --------------------------------------------------------------------------- the load


@dataclass
class Load:
    singles: list[str]
    members: list[str]
    single_triggers: int
    bulks: tuple[int, int]  # requests x events each
    resends: int

    def expected(self) -> set[tuple[str, str]]:
        """(subscriber, transactionId) pairs that must get one in-app message and one email."""
        pairs = {(self.singles[i % len(self.singles)], f"single-{i}") for i in range(self.single_triggers)}
        count, size = self.bulks
        pairs |= {(self.singles[(b * size + j) % len(self.singles)], f"bulk-{b}-{j}")
                  for b in range(count) for j in range(size)}
        pairs |= {(m, "topic-1") for m in self.members}
        return pairs


async def post_until_accepted(http: httpx.AsyncClient, path: str, body: dict[str, Any], deadline: float) -> None:
    """Retry with the same body (same transactionIds) until the API accepts it: an idempotent client."""
    while time.monotonic() < deadline:
        try:
            response = await http.post(path, json=body)
            if response.status_code in (200, 201):
                return
            if response.status_code < 500 and response.status_code != 429:
                raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:300]}")
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.5)
    raise RuntimeError(f"{path} was never accepted")


async def run_load(cluster: Cluster, load: Load, spread_seconds: float) -> None:
    http = httpx.AsyncClient(base_url=cluster.api_url, headers={"Authorization": f"ApiKey {cluster.api_key}"},
                             timeout=20)
    deadline = time.monotonic() + spread_seconds + 240
    gate = asyncio.Semaphore(8)

    async def send(path: str, body: dict[str, Any], at: float) -> None:
        await asyncio.sleep(at)
        async with gate:
            await post_until_accepted(http, path, body, deadline)

    def trigger(sub: str, tx: str) -> dict[str, Any]:
        return {"name": WORKFLOW, "to": sub, "payload": {"tx": tx}, "transactionId": tx}

    jobs = []
    for i in range(load.single_triggers):
        at = spread_seconds * i / max(load.single_triggers, 1)
        jobs.append(send("/v1/events/trigger", trigger(load.singles[i % len(load.singles)], f"single-{i}"), at))
    count, size = load.bulks
    for b in range(count):
        events = [trigger(load.singles[(b * size + j) % len(load.singles)], f"bulk-{b}-{j}") for j in range(size)]
        jobs.append(send("/v1/events/trigger/bulk", {"events": events}, spread_seconds * (b + 0.5) / count))
    jobs.append(send("/v1/events/trigger", {"name": WORKFLOW, "to": [{"type": "Topic", "topicKey": "everyone"}],
                                            "payload": {"tx": "topic-1"}, "transactionId": "topic-1"},
                     spread_seconds * 0.3))
    for _ in range(load.resends):  # the same transactionIds again: must not send twice
        n = random.randrange(load.single_triggers)
        jobs.append(send("/v1/events/trigger", trigger(load.singles[n % len(load.singles)], f"single-{n}"),
                         spread_seconds * random.random()))
    try:
        await asyncio.gather(*jobs)
    finally:
        await http.aclose()


# --------------------------------------------------------------------------- the faults


async def inject_faults(cluster: Cluster, spread_seconds: float, stop: asyncio.Event) -> None:
    """Worker kills every ~10 s; the API, Temporal and PostgreSQL once each, spread over the load."""
    started = time.monotonic()
    once = [(spread_seconds * 0.25, "api"), (spread_seconds * 0.5, "temporal"), (spread_seconds * 0.75, "postgres")]
    if cluster.redis is not None:
        once.insert(2, (spread_seconds * 0.6, "redis"))
    next_kill, victim = 5.0, 0
    while not stop.is_set():
        now = time.monotonic() - started
        if once and now >= once[0][0]:
            _, what = once.pop(0)
            if what == "api":
                cluster.api.kill()
                cluster.note("API killed (SIGKILL) and restarted")
                await asyncio.sleep(1)
                cluster.api.start()
            elif what == "temporal":
                cluster.temporal.kill()
                cluster.note("Temporal server killed (SIGKILL) and restarted")
                await asyncio.sleep(2)
                cluster.temporal.start()
            elif what == "redis" and cluster.redis is not None:
                cluster.redis.stop()
                cluster.note("Redis (the real-time bus) stopped and restarted")
                await asyncio.sleep(1)
                cluster.redis.start()
            else:
                cluster.note("PostgreSQL restarted (immediate shutdown)")
                await asyncio.to_thread(cluster.postgres.stop, "immediate")
                await asyncio.sleep(2)
                await asyncio.to_thread(cluster.postgres.start)
        if now >= next_kill:
            worker = cluster.workers[victim % len(cluster.workers)]
            worker.kill()
            cluster.note(f"{worker.name} killed (SIGKILL) and restarted")
            await asyncio.sleep(0.5)
            worker.start()
            victim += 1
            next_kill = now + 10 + random.uniform(-2, 2)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.5)


# --------------------------------------------------------------------------- the counts


@dataclass
class Counts:
    expected: int
    lost: int
    duplicated: int
    unknown: int  # outcomes that were unknown when a retry found them (resent or recorded as such)
    still_unknown: int = 0  # recorded as "outcome unknown" (at_most_once) or left "transmitting"
    same_message_id: bool = True  # email: each duplicate has the first's Message-ID; webhook: one id per pair
    note: str = ""

    def line(self, run: str, channel: str) -> str:
        extra = "" if self.same_message_id else " (a duplicate under a different Message-ID / webhook-id!)"
        return (f"run={run} channel={channel} lost={self.lost} duplicated={self.duplicated} unknown={self.unknown} "
                f"expected={self.expected} still_unknown={self.still_unknown} {self.note}".rstrip() + extra)


async def store_rows(url: str) -> list[tuple[str, str, str, str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(text("SELECT channel, subscriber_id, transaction_id, status FROM messages"))
            return [(str(c), str(s), str(t), str(st)) for c, s, t, st in result]
    finally:
        await engine.dispose()


async def unknown_outcomes(url: str, channel: str) -> int:
    """Sends whose worker died on the wire, as noted by the attempts that found them (a resend whose own
    attempt is killed before its last commit leaves no note: the count can be short by those)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(text(
                "SELECT count(*) FROM execution_details "
                "WHERE channel = :channel AND detail LIKE 'The worker stopped while%'"), {"channel": channel})
            return int(result.scalar_one())
    finally:
        await engine.dispose()


def by_pair(cluster: Cluster) -> dict[tuple[str, str], list[str]]:
    received: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    for r in cluster.sink.received:
        received[(r.to.split("@")[0], r.tx)].append(r.message_id)
    return received


async def count(cluster: Cluster, expected: set[tuple[str, str]], patience: float) -> dict[str, Counts]:
    deadline = time.monotonic() + patience
    while True:
        rows = await store_rows(cluster.postgres.url)
        in_app = {(s, t) for c, s, t, _ in rows if c == "in_app"}
        mailed = set(by_pair(cluster))
        hooked = set(cluster.webhooks.pairs())
        settled = not [r for r in rows if r[0] in ("email", "webhook") and r[3] == "transmitting"]
        if (expected <= in_app and expected <= mailed and expected <= hooked and settled) \
                or time.monotonic() > deadline:
            break
        await asyncio.sleep(2)
    # The last live frames: wait while they still come in (a frame never sent is counted lost, not waited for).
    last, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < 6 and time.monotonic() < deadline + 30:
        frames = sum(sum(c.live.values()) for c in cluster.inbox.clients)
        if frames != last:
            last, quiet_since = frames, time.monotonic()
        await asyncio.sleep(1)
    by_key = collections.Counter((c, s, t) for c, s, t, _ in rows)
    still = collections.Counter(c for c, _, _, st in rows if st in ("warning", "transmitting"))
    app_counts = Counts(
        expected=len(expected), lost=len(expected - in_app),
        duplicated=sum(n - 1 for (c, _, _), n in by_key.items() if c == "in_app" and n > 1), unknown=0,
    )
    received = by_pair(cluster)
    email = Counts(
        expected=len(expected), lost=len(expected - set(received)),
        duplicated=sum(len(ids) - 1 for ids in received.values() if len(ids) > 1),
        unknown=await unknown_outcomes(cluster.postgres.url, "email"), still_unknown=still["email"],
        same_message_id=all(len(set(ids)) == 1 for ids in received.values()),
    )
    # Webhooks: the receiver deduplicates by webhook-id (Standard Webhooks), so a webhook-id posted again is a
    # redelivery it drops, not a duplicate; a duplicate is a (subscriber, transactionId) under two webhook-ids.
    pairs = cluster.webhooks.pairs()
    webhook = Counts(
        expected=len(expected), lost=len(expected - set(pairs)), duplicated=sum(n - 1 for n in pairs.values()),
        unknown=await unknown_outcomes(cluster.postgres.url, "webhook"), still_unknown=still["webhook"],
        note=f"redelivered_same_webhook_id={sum(len(c) - 1 for c in cluster.webhooks.by_id.values())}",
    )
    watched = {c.subscriber for c in cluster.inbox.clients}
    socket_expected = {(s, t) for s, t in expected if s in watched}
    live = {(c.subscriber, t) for c in cluster.inbox.clients for t in c.live}
    seen = live | {(c.subscriber, t) for c in cluster.inbox.clients for t in c.refetched}
    socket = Counts(
        expected=len(socket_expected), lost=len(socket_expected - seen),
        duplicated=sum(n - 1 for c in cluster.inbox.clients for n in c.live.values() if n > 1), unknown=0,
        note=f"live={len(socket_expected & live)} refetched_after_reconnect={len(socket_expected & (seen - live))} "
             f"reconnects={sum(c.reconnects for c in cluster.inbox.clients)}",
    )
    return {"in_app": app_counts, "email": email, "webhook": webhook, "socket": socket}


# --------------------------------------------------------------------------- one run


async def one_run(name: str, faults: bool, load: Load, spread: float, keep: bool, webhook_policy: str,
                  patience: float = 240.0) -> dict[str, Counts]:
    folder = Path(tempfile.mkdtemp(prefix=f"clarion-chaos-{name}-"))
    print(f"{name}: {'with faults' if faults else 'control, no faults'} (logs in {folder})", flush=True)
    cluster = await start_cluster(folder, load.members, load.singles, webhook_policy)
    stop = asyncio.Event()
    chaos = asyncio.create_task(inject_faults(cluster, spread, stop)) if faults else None
    started = time.monotonic()
    try:
        await run_load(cluster, load, spread)
        # Faults go on while the runs drain, until the load's spread is over.
        await asyncio.sleep(max(0.0, spread - (time.monotonic() - started)))
        stop.set()
        if chaos is not None:
            await chaos
        for worker in cluster.workers:  # a worker killed last may still be starting
            if worker.proc is None or worker.proc.poll() is not None:
                worker.start()
        counts = await count(cluster, load.expected(), patience=patience)
    finally:
        stop.set()
        await cluster.inbox.stop()
        await cluster.webhooks.stop()
        cluster.stop()
        await asyncio.to_thread(cluster.postgres.stop, "fast")
        summary = windows(folder)
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    elapsed = time.monotonic() - started
    for channel, c in counts.items():
        print(c.line(name, channel), flush=True)
    for channel in ("email", "webhook"):
        print(f"{name}: {channel} unknown {100 * counts[channel].unknown / max(counts[channel].expected, 1):.2f} % "
              f"of sends", flush=True)
    print(f"{name}: undecided windows (marker to sent) per batch: {summary}", flush=True)
    print(f"{name}: {elapsed:.0f} s, {len(cluster.events)} faults", flush=True)
    return counts


WINDOW = re.compile(r"(\d+) sends, median ([\d.]+) ms, p95 ([\d.]+) ms, max ([\d.]+) ms"
                    r"(?: \(median send ([\d.]+) ms \+ sent ([\d.]+) ms\))?")


def windows(folder: Path) -> str:
    """The workers' "undecided windows" log lines summed up: sends, the median of the batch medians (and of its
    two parts: the delivering act, the "sent" statement), the worst p95 and the max."""
    found = [m.groups() for log in folder.glob("worker-*.log")
             for m in WINDOW.finditer(log.read_text(errors="replace"))]
    if not found:
        return "none logged"

    def median(index: int) -> float:
        values = sorted(float(f[index]) for f in found if f[index] is not None)
        return values[len(values) // 2] if values else float("nan")

    return (f"{sum(int(f[0]) for f in found)} sends in {len(found)} batches, median of batch medians "
            f"{median(1):.1f} ms (send {median(4):.1f} ms + sent {median(5):.1f} ms), "
            f"worst p95 {max(float(f[2]) for f in found):.1f} ms, max {max(float(f[3]) for f in found):.1f} ms")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--singles", type=int, default=150, help="single triggers")
    parser.add_argument("--bulk", default="10x10", help="bulk requests x events each")
    parser.add_argument("--topic", type=int, default=300, help="members of the topic triggered once")
    parser.add_argument("--resends", type=int, default=30, help="triggers sent again with a used transactionId")
    parser.add_argument("--spread", type=float, default=45.0, help="seconds the load (and the faults) last")
    parser.add_argument("--runs", type=int, default=1, help="fault runs after the control run")
    parser.add_argument("--no-control", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the logs and data folders")
    parser.add_argument("--patience", type=float, default=240.0,
                        help="seconds to wait after the load for every delivery to arrive; later ones count lost")
    parser.add_argument("--webhook-policy", default="at_least_once", choices=["at_least_once", "at_most_once"],
                        help="unknown-outcome policy of the webhook step (its webhook-id makes a resend safe)")
    args = parser.parse_args()
    count_, size = (int(v) for v in args.bulk.split("x"))
    load = Load(singles=[f"s{i:03}" for i in range(50)], members=[f"m{i:03}" for i in range(args.topic)],
                single_triggers=args.singles, bulks=(count_, size), resends=args.resends)
    print(f"load: {args.singles} single, {count_}x{size} bulk, 1 topic of {args.topic}, {args.resends} resent "
          f"transactionIds; {len(load.expected())} expected deliveries per channel", flush=True)
    failed = False
    runs = ([] if args.no_control else [("control", False)]) + [(f"faults-{i + 1}", True) for i in range(args.runs)]
    for name, faults in runs:
        counts = await one_run(name, faults, load, args.spread, args.keep, args.webhook_policy, args.patience)
        failed |= counts["in_app"].lost + counts["in_app"].duplicated + counts["email"].lost > 0
        failed |= not counts["email"].same_message_id or counts["webhook"].lost + counts["webhook"].duplicated > 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
