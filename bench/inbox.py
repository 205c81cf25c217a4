"""The Inbox's live path: trigger → ``notification_received``, and socket.io fan-out to 1 000 clients.

    .venv/bin/python bench/inbox.py            # 20 triggers; 1 000 clients x 20 broadcasts
    .venv/bin/python bench/inbox.py --quick    # 5 triggers; 200 clients x 5 broadcasts, to check that it runs

1. Latency, p50/p99: a trigger over HTTP until the subscriber's socket.io client (what ``@novu/js`` uses
   in a browser) receives ``notification_received``, against the same trigger's arrival at Clarion's own
   WebSocket hub (Parallels, ``inbox.notification.received``) in the same run. Both clients are connected
   at once with the same subscriber session token; Temporal dev server, worker and API run in this process.
2. Fan-out: 1 000 socket.io clients of one subscriber receive each broadcast; events/s through Clarion
   (bus → count read from the database → emit to the subscriber's room) against python-socketio's bare
   ``emit`` to all clients, each server in a child process; CPU seconds per delivered event of each child.

Ratios are the figures; absolute numbers depend on the machine (the client harness shares it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
import socketio
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@asynccontextmanager
async def child(mode: str) -> AsyncIterator[tuple[str, str, int]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(sys.executable, str(ROOT / "bench" / "_inbox_server.py"), mode,
                                                env=env, stdout=asyncio.subprocess.PIPE, cwd=ROOT)
    assert proc.stdout is not None
    try:
        port, token = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().split()
        yield port, token, proc.pid
    finally:
        proc.terminate()
        await proc.wait()


async def fan_out(mode: str, clients: int, broadcasts: int) -> tuple[float, float]:
    """Events/s delivered to ``clients`` socket.io clients, and the server's CPU seconds per delivered event."""
    async with child(mode) as (port, token, pid):
        url = f"http://127.0.0.1:{port}"
        received = [0] * clients
        done = asyncio.Event()
        conns: list[socketio.AsyncClient] = []

        def counter(i: int):
            async def on(_: object) -> None:
                received[i] += 1
                if received[i] == broadcasts and all(r >= broadcasts for r in received):
                    done.set()
            return on

        for start in range(0, clients, 100):  # in waves: a burst of handshakes overflows the backlog
            wave = []
            for i in range(start, min(clients, start + 100)):
                sio = socketio.AsyncClient(reconnection=False)
                sio.on("unseen_count_changed", counter(i))
                wave.append(sio.connect(f"{url}?token={token}", transports=["websocket"], wait_timeout=60))
                conns.append(sio)
            await asyncio.gather(*wave)
        cpu0 = _cpu(pid)
        started = time.perf_counter()
        async with httpx.AsyncClient(timeout=600) as http:
            (await http.get(f"{url}/publish", params={"n": broadcasts})).raise_for_status()
        await asyncio.wait_for(done.wait(), 600)
        elapsed = time.perf_counter() - started
        cpu = _cpu(pid) - cpu0
        await asyncio.gather(*(c.disconnect() for c in conns))
    delivered = clients * broadcasts
    return delivered / elapsed, cpu / delivered


async def latency(triggers: int) -> tuple[list[float], list[float]]:
    """Per trigger: seconds until the socket.io client, and until the hub socket, received the notification."""
    import uvicorn
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.testing import WorkflowEnvironment

    from api.app import create_app
    from clarion.dev import temporal_binary
    from clarion.worker import open_worker
    from core.run_identity import ALL
    from core.settings import ApiSettings, Settings, TemporalSettings
    from store import tenancy
    from store.engine import create_engine, make_sessions
    from store.migrate import upgrade
    from store.realtime import MemoryBus

    folder = Path(tempfile.mkdtemp(prefix="clarion-inbox-latency-"))
    engine = create_engine(f"sqlite+aiosqlite:///{folder / 'clarion.db'}")
    await upgrade(engine)
    sessions = make_sessions(engine)
    async with sessions() as session, session.begin():
        org = await tenancy.get_or_create_organization(session=session, slug="o", name="O")
        project = await tenancy.get_or_create_project(session=session, organization_id=org.id, slug="p", name="P")
        env = await tenancy.get_or_create_environment(session=session, project=project, slug="development", name="E")
        key = (await tenancy.create_key(session=session, name="bench", environment=env)).raw
    settings = Settings(mode="dev", data_dir=folder, api=ApiSettings(rate_limit_per_minute=0),
                        temporal=TemporalSettings(task_queue="inbox-bench"))
    bus = MemoryBus()
    async with AsyncExitStack() as stack:
        temporal = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_binary(), data_converter=pydantic_data_converter, search_attributes=ALL,
            dev_server_extra_args=["--log-level", "error"])
        stack.push_async_callback(temporal.shutdown)
        app = create_app(settings, sessions=sessions, temporal=temporal.client, bus=bus)
        await stack.enter_async_context(open_worker(settings, client=temporal.client, sessions=sessions, bus=bus))
        await stack.enter_async_context(app.router.lifespan_context(app))
        sock = socket.create_server(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", ws="websockets-sansio"))
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.05)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=60))
        headers = {"Authorization": f"ApiKey {key}"}
        flow = {"name": "Bench", "workflowId": "bench-inbox", "steps": [
            {"name": "Inbox", "type": "in_app", "controlValues": {"body": "Order {{ payload.n }}"}}]}
        (await http.post("/v2/workflows", json=flow, headers=headers)).raise_for_status()
        me = (await http.get("/v1/environments/me", headers=headers)).json()["data"]
        session_body = {"applicationIdentifier": me["applicationIdentifier"], "subscriber": {"subscriberId": "ada"}}
        token = (await http.post("/v1/inbox/session", json=session_body)).json()["data"]["token"]

        sio_got: asyncio.Queue[float] = asyncio.Queue()
        sio = socketio.AsyncClient(reconnection=False)
        sio.on("notification_received", lambda _: sio_got.put_nowait(time.perf_counter()))
        await sio.connect(f"{url}?token={token}", transports=["websocket"])
        hub = await websockets.connect(
            f"{url.replace('http', 'ws')}/api/v1/ws/subscribe?event_types=inbox.notification.received",
            additional_headers={"Authorization": f"Bearer {token}"})
        await hub.recv()  # the welcome
        via_sio, via_hub = [], []
        for n in range(triggers):
            started = time.perf_counter()
            body = {"name": "bench-inbox", "to": {"subscriberId": "ada"}, "payload": {"n": n}}
            (await http.post("/v1/events/trigger", json=body, headers=headers)).raise_for_status()
            while True:
                frame = json.loads(await asyncio.wait_for(hub.recv(), 60))
                if frame.get("event_type") == "inbox.notification.received":
                    via_hub.append(time.perf_counter() - started)
                    break
            via_sio.append(await asyncio.wait_for(sio_got.get(), 60) - started)
        await sio.disconnect()
        await hub.close()
        server.should_exit = True
        await serving
    await engine.dispose()
    return via_sio, via_hub


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(triggers: int, clients: int, broadcasts: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    via_sio, via_hub = await latency(triggers)
    bare_rate, bare_cpu = await fan_out("bare", clients, broadcasts)
    clarion_rate, clarion_cpu = await fan_out("clarion", clients, broadcasts)
    print(f"{triggers} sequential triggers; {clients} socket.io clients x {broadcasts} broadcasts; "
          f"{os.cpu_count()} CPUs")
    print(f"{'trigger → notification at the client':<44}{'p50 ms':>10}{'p99 ms':>10}")
    for name, values in (("socket.io (Novu's client path)", via_sio), ("Clarion hub (baseline)", via_hub)):
        print(f"{name:<44}{_pct(values, 0.5) * 1000:>10.1f}{_pct(values, 0.99) * 1000:>10.1f}")
    print(f"ratio socket.io / hub: p50 {_pct(via_sio, .5) / _pct(via_hub, .5):.2f}x, "
          f"p99 {_pct(via_sio, .99) / _pct(via_hub, .99):.2f}x (mean {statistics.mean(via_sio) * 1000:.1f} ms)")
    print(f"{'fan-out':<44}{'events/s':>10}{'CPU µs/ev':>10}")
    print(f"{'python-socketio bare emit (baseline)':<44}{bare_rate:>10,.0f}{bare_cpu * 1e6:>10.1f}")
    print(f"{'Clarion (bus → count query → room emit)':<44}{clarion_rate:>10,.0f}{clarion_cpu * 1e6:>10.1f}")
    print(f"ratio Clarion / bare: {clarion_rate / bare_rate:.2f}x events/s, "
          f"{clarion_cpu / bare_cpu:.2f}x CPU per event")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(5, 200, 5) if args.quick else main(20, 1000, 20))
