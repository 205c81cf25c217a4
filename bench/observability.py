"""CPU cost of metrics and tracing on the trigger path: the same triggers with instrumentation off,
with metrics, and with metrics and tracing, interleaved in one run, in one process.

    .venv/bin/python bench/observability.py            # about a minute
    .venv/bin/python bench/observability.py --quick    # smaller rounds, to check that it runs

What is measured: ``POST /v1/events/trigger`` through the real app (auth, planning, the workflow
start on a Temporal dev server whose task queue nobody polls), driven over ASGI in this process, so
the process's CPU time (every thread, the Temporal client's core included) is the trigger path's.
"Off" replaces Clarion's Prometheus metrics with no-op stand-ins; "tracing" adds the FastAPI
instrumentation, the Temporal TracingInterceptor and SQLAlchemy spans, every span sampled and handed
to an exporter that drops it (OTLP's serialisation and network cost come on top).
The dev server's own CPU is not counted: it is the same in every variant.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi import FastAPI  # noqa: E402
from opentelemetry.sdk.trace import ReadableSpan  # noqa: E402
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.contrib.opentelemetry import TracingInterceptor  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from api.app import create_app  # noqa: E402
from clarion.dev import DEV_TEMPORAL_FLAGS, temporal_binary  # noqa: E402
from clarion.observability import tracing  # noqa: E402
from clarion.seed import seed_demo  # noqa: E402
from core import metrics  # noqa: E402
from core.observability_settings import ObservabilitySettings  # noqa: E402
from core.run_identity import ALL  # noqa: E402
from core.settings import Settings, TemporalSettings  # noqa: E402
from store.engine import create_engine, make_sessions  # noqa: E402
from store.migrate import upgrade  # noqa: E402

METRICS = ("HTTP_REQUESTS", "HTTP_LATENCY", "TRIGGERS")


class _Nothing:
    """A metric that records nothing: what "metrics off" costs."""

    def labels(self, *_: Any) -> _Nothing:
        return self

    def inc(self, *_: Any) -> None: ...

    def observe(self, *_: Any) -> None: ...


@contextmanager
def metrics_off() -> Iterator[None]:
    real = {name: getattr(metrics, name) for name in METRICS}
    for name in METRICS:
        setattr(metrics, name, _Nothing())
    try:
        yield
    finally:
        for name, value in real.items():
            setattr(metrics, name, value)


class DropSpans(SpanExporter):
    def __init__(self) -> None:
        self.spans = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans += len(spans)
        return SpanExportResult.SUCCESS


async def asgi_post(app: FastAPI, path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    """One request straight into the ASGI app (no HTTP client, so no client instrumentation)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"bench"), (b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode()), *headers],
             "client": ("127.0.0.1", 1), "server": ("bench", 80), "state": {}}
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


@dataclass
class Variant:
    name: str
    app: FastAPI
    wrap: Callable[[], Any]
    cpu_ms: list[float]


async def burst(variant: Variant, key: str, count: int, concurrency: int, tag: str) -> float:
    """CPU milliseconds per accepted trigger for ``count`` triggers, ``concurrency`` at a time."""
    headers = [(b"authorization", f"ApiKey {key}".encode())]
    gate = asyncio.Semaphore(concurrency)
    statuses: list[int] = []

    async def one(i: int) -> None:
        body = json.dumps({"name": "welcome", "to": f"s{i % 50}", "payload": {"n": i},
                           "transactionId": f"{tag}-{i}"}).encode()
        async with gate:
            statuses.append(await asgi_post(variant.app, "/v1/events/trigger", body, headers))

    with variant.wrap():
        started = time.process_time()
        await asyncio.gather(*(one(i) for i in range(count)))
        used = time.process_time() - started
    assert statuses.count(201) == count, {s: statuses.count(s) for s in set(statuses)}
    return 1000 * used / count


async def main(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="clarion-bench-obs-"))
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), data_converter=pydantic_data_converter, search_attributes=ALL,
        dev_server_extra_args=[*DEV_TEMPORAL_FLAGS, "--log-level", "error"],
    )
    async with AsyncExitStack() as stack:
        stack.push_async_callback(env.shutdown)
        settings = Settings(mode="dev", data_dir=folder, temporal=TemporalSettings(task_queue="nobody-polls"))
        seed_engine = create_engine(settings.database_url)
        await upgrade(seed_engine)
        demo = await seed_demo(make_sessions(seed_engine), settings)
        await seed_engine.dispose()
        target = env.client.service_client.config.target_host

        async def app_for(*, traced: bool) -> FastAPI:
            client = await Client.connect(target, namespace=env.client.namespace,
                                          data_converter=pydantic_data_converter,
                                          interceptors=[TracingInterceptor()] if traced else [])
            engine = create_engine(settings.database_url)  # made after setup_tracing: traced statements
            stack.push_async_callback(engine.dispose)
            app = create_app(settings, temporal=client, sessions=make_sessions(engine))
            if traced:
                tracing.instrument_app(app)
            await stack.enter_async_context(app.router.lifespan_context(app))
            return app

        plain = await app_for(traced=False)  # before tracing is installed: no spans at all
        exporter = DropSpans()
        tracing.setup_tracing(ObservabilitySettings(), component="bench", exporter=exporter)
        traced = await app_for(traced=True)
        variants = [
            Variant("off", plain, metrics_off, []),
            Variant("metrics", plain, contextmanager(lambda: iter([None])), []),
            Variant("metrics+tracing", traced, contextmanager(lambda: iter([None])), []),
        ]
        for variant in variants:  # warm-up: caches, connection pools, imports
            await burst(variant, demo.api_key, args.size // 4, args.concurrency, f"warm-{variant.name}")
        for r in range(args.rounds):
            for variant in variants[r % 3:] + variants[: r % 3]:  # rotate the order each round
                variant.cpu_ms.append(
                    await burst(variant, demo.api_key, args.size, args.concurrency, f"r{r}-{variant.name}"))
        report(variants, args, exporter.spans)


def direct_metrics_cost(repeat: int = 20_000) -> float:
    """CPU microseconds of exactly the metric calls one trigger makes (the HTTP middleware's counter
    and histogram, the trigger counter): free of the noise a shared machine puts on whole rounds."""
    started = time.process_time()
    for _ in range(repeat):
        metrics.HTTP_REQUESTS.labels("/v1/events/trigger", "POST", "201").inc()
        metrics.HTTP_LATENCY.labels("/v1/events/trigger", "POST").observe(0.004)
        metrics.TRIGGERS.labels("welcome", "processed").inc()
    return 1e6 * (time.process_time() - started) / repeat


def report(variants: list[Variant], args: argparse.Namespace, spans: int) -> None:
    base = statistics.median(variants[0].cpu_ms)
    print(f"\ntrigger path CPU (this process, all threads), {args.rounds} rounds x {args.size} triggers, "
          f"{args.concurrency} concurrent; median of rounds\n")
    print(f"{'variant':<18}{'CPU ms/trigger':>16}{'vs off':>10}{'rounds (ms)':>40}")
    for v in variants:
        med = statistics.median(v.cpu_ms)
        rounds = " ".join(f"{x:.2f}" for x in v.cpu_ms)
        print(f"{v.name:<18}{med:>16.3f}{med / base:>9.3f}x{rounds:>40}")
    # Each round measured the three variants back to back: the median of the per-round ratios
    # cancels most of what other processes did to that round.
    metrics_cost = statistics.median(m / o for m, o in zip(variants[1].cpu_ms, variants[0].cpu_ms, strict=True)) - 1
    tracing_cost = statistics.median(t / o for t, o in zip(variants[2].cpu_ms, variants[0].cpu_ms, strict=True)) - 1
    direct = direct_metrics_cost()
    verdict = "PASS" if metrics_cost < 0.05 else "SHORT"
    print(f"\nmetrics cost, median of per-round ratios: {100 * metrics_cost:+.1f}% (target < 5%: {verdict})")
    print(f"metrics cost, the calls alone: {direct:.1f} us per trigger = {100 * direct / (1000 * base):.2f}% "
          "of the trigger path")
    print(f"metrics + tracing, median of per-round ratios: {100 * tracing_cost:+.1f}% ({spans} spans recorded)")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small rounds: a check that it runs")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    args.size, args.rounds = (100, 3) if args.quick else (400, 5)
    return args


if __name__ == "__main__":
    code = 0
    try:
        asyncio.run(main(parse()))
    except KeyboardInterrupt:
        code = 130
    sys.stdout.flush()
    os._exit(code)  # temporalio may abort while the process exits (temporal-notes.md)
