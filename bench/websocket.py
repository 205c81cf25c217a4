"""WebSocket fan-out: events/s delivered by the Parallels hub to many sockets, against a bare websockets broadcast.

    .venv/bin/python bench/websocket.py            # 1 000 sockets x 200 events
    .venv/bin/python bench/websocket.py --quick    # 200 sockets x 50 events, to check that it runs

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
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parents[1]


@asynccontextmanager
async def child(mode: str) -> AsyncIterator[list[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(sys.executable, str(ROOT / "bench" / "_ws_server.py"), mode,
                                                env=env, stdout=asyncio.subprocess.PIPE, cwd=ROOT)
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        yield line.decode().split()
    finally:
        proc.terminate()
        await proc.wait()


async def fan_out(url: str, sockets: int, events: int, publish: Callable[[], Awaitable[None]],
                  headers: dict[str, str] | None = None) -> float:
    """Open the sockets, publish, and return frames delivered per second (first publish → last frame)."""
    conns = []
    for start in range(0, sockets, 100):  # in waves: a burst of 1 000 handshakes overflows the backlog
        wave = range(start, min(sockets, start + 100))
        conns += await asyncio.gather(*(websockets.connect(url, additional_headers=headers, max_queue=None,
                                                           open_timeout=60) for _ in wave))
    await asyncio.gather(*(c.recv() for c in conns))  # the welcomes

    async def drain(conn: websockets.ClientConnection) -> None:
        for _ in range(events):
            await conn.recv()

    started = time.perf_counter()
    readers = [asyncio.create_task(drain(c)) for c in conns]
    await publish()
    await asyncio.wait_for(asyncio.gather(*readers), 600)
    elapsed = time.perf_counter() - started
    await asyncio.gather(*(c.close() for c in conns))
    return sockets * events / elapsed


async def main(sockets: int, events: int, size: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    async with child("bare") as (port,):
        control = await websockets.connect(f"ws://127.0.0.1:{port}/control")

        async def bare_publish() -> None:
            await control.send(f"publish {events} {size}")
            await control.recv()

        baseline = await fan_out(f"ws://127.0.0.1:{port}/", sockets, events, bare_publish)
        await control.close()
    async with child("clarion") as (port, key), httpx.AsyncClient(timeout=600) as http:
        async def hub_publish() -> None:
            (await http.get(f"http://127.0.0.1:{port}/publish", params={"n": events, "size": size})).raise_for_status()

        hub = await fan_out(f"ws://127.0.0.1:{port}/api/v1/ws/subscribe?event_types=stream.*", sockets, events,
                            hub_publish, headers={"X-Api-Key": key})
    print(f"sockets {sockets}, events {events}, body padding {size} bytes, {os.cpu_count()} CPUs")
    print(f"{'figure':<44}{'events/s':>12}")
    print(f"{'bare websockets.broadcast (baseline)':<44}{baseline:>12,.0f}")
    print(f"{'Clarion hub (MemoryBus → index → queues)':<44}{hub:>12,.0f}")
    print(f"ratio hub / baseline: {hub / baseline:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--size", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(200, 50, args.size) if args.quick else main(1000, 200, args.size))
