"""WebSocket fan-out: events/s delivered by the Parallels hub to many sockets, against a bare websockets broadcast.

    .venv/bin/python bench/websocket.py            # 1 000 sockets x 200 events, three rounds
    .venv/bin/python bench/websocket.py --quick    # 200 sockets x 50 events, one round, to check that it runs

Both servers run in a child process on this machine; the same client harness (this process) opens
the sockets and counts frames. The baseline is ``websockets.broadcast`` of the same frames to the
same number of sockets (no auth, no queue, no index), measured in the same run, so the ratio means
something on any machine; the absolute rates do not.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import websockets
from _harness import cpu_seconds

ROOT = Path(__file__).resolve().parents[1]


@asynccontextmanager
async def child(mode: str) -> AsyncIterator[tuple[int, list[str]]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(sys.executable, str(ROOT / "bench" / "_ws_server.py"), mode,
                                                env=env, stdout=asyncio.subprocess.PIPE, cwd=ROOT)
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        yield proc.pid, line.decode().split()
    finally:
        proc.terminate()
        await proc.wait()


async def fan_out(url: str, sockets: int, events: int, publish: Callable[[], Awaitable[None]], server: int,
                  headers: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Open the sockets, publish; frames delivered per second (first publish → last frame), and the
    server's and this process's CPU microseconds per frame over the same span."""
    conns = []
    for start in range(0, sockets, 100):  # in waves: a burst of 1 000 handshakes overflows the backlog
        wave = range(start, min(sockets, start + 100))
        conns += await asyncio.gather(*(websockets.connect(url, additional_headers=headers, max_queue=None,
                                                           open_timeout=60) for _ in wave))
    await asyncio.gather(*(c.recv() for c in conns))  # the welcomes

    async def drain(conn: websockets.ClientConnection) -> None:
        for _ in range(events):
            await conn.recv()

    started, server_cpu, own_cpu = time.perf_counter(), cpu_seconds(server), time.process_time()
    readers = [asyncio.create_task(drain(c)) for c in conns]
    await publish()
    await asyncio.wait_for(asyncio.gather(*readers), 600)
    elapsed, frames = time.perf_counter() - started, sockets * events
    server_cpu, own_cpu = cpu_seconds(server) - server_cpu, time.process_time() - own_cpu
    await asyncio.gather(*(c.close() for c in conns))
    return frames / elapsed, 1e6 * server_cpu / frames, 1e6 * own_cpu / frames


Figure = tuple[float, float, float]  # frames/s, server CPU µs per frame, client CPU µs per frame


async def bare_round(sockets: int, events: int, size: int) -> Figure:
    async with child("bare") as (pid, (port,)):
        control = await websockets.connect(f"ws://127.0.0.1:{port}/control")

        async def bare_publish() -> None:
            await control.send(f"publish {events} {size}")
            await control.recv()

        figure = await fan_out(f"ws://127.0.0.1:{port}/", sockets, events, bare_publish, pid)
        await control.close()
    return figure


async def hub_round(sockets: int, events: int, size: int) -> Figure:
    async with child("clarion") as (pid, (port, key)), httpx.AsyncClient(timeout=600) as http:
        async def hub_publish() -> None:
            (await http.get(f"http://127.0.0.1:{port}/publish", params={"n": events, "size": size})).raise_for_status()

        return await fan_out(f"ws://127.0.0.1:{port}/api/v1/ws/subscribe?event_types=stream.*", sockets, events,
                             hub_publish, pid, headers={"X-Api-Key": key})


async def main(sockets: int, events: int, size: int, rounds: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    # Rounds alternate baseline and hub, so a burst of noise on the machine lands on both.
    pairs = [(await bare_round(sockets, events, size), await hub_round(sockets, events, size)) for _ in range(rounds)]
    print(f"sockets {sockets}, events {events}, body padding {size} bytes, {os.cpu_count()} CPUs, {rounds} round(s)")
    print(f"{'round':<7}{'figure':<44}{'events/s':>12}{'server CPU µs/frame':>21}{'client CPU µs/frame':>21}")
    for number, (baseline, hub) in enumerate(pairs, 1):
        for name, (rate, server_cost, client_cost) in (("bare websockets.broadcast (baseline)", baseline),
                                                       ("Clarion hub (MemoryBus → index → queues)", hub)):
            print(f"{number:<7}{name:<44}{rate:>12,.0f}{server_cost:>21.1f}{client_cost:>21.1f}")
    ratios = [hub[0] / baseline[0] for baseline, hub in pairs]
    print("ratio hub / baseline per round: " + ", ".join(f"{r:.2f}x" for r in ratios)
          + f"; median {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="baseline/hub pairs, the median ratio reported")
    args = parser.parse_args()
    asyncio.run(main(200, 50, args.size, 1) if args.quick else main(1000, 200, args.size, args.rounds))
