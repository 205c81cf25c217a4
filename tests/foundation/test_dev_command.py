"""``clarion dev`` from a fresh data folder: everything comes up, the key works, Ctrl-C stops it all."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(data: Path, ports: dict[str, int]) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ)
    env.update(
        {
            "CLARION_DATA_DIR": str(data),
            "CLARION_API__PORT": str(ports["api"]),
            "CLARION_DEV__TEMPORAL_PORT": str(ports["temporal"]),
            "CLARION_DEV__TEMPORAL_UI_PORT": str(ports["ui"]),
            "CLARION_DEV__SMTP_PORT": str(ports["smtp"]),
        }
    )
    env.pop("CLARION_DEV__DEMO_API_KEY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "clarion", "dev"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    seen: list[str] = []
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if match := re.search(r"API key\s+(\S+)", line):
            return proc, match.group(1)
    proc.kill()
    raise AssertionError("clarion dev did not print a key:\n" + "".join(seen))


def _stop(proc: subprocess.Popen[str], ports: dict[str, int]) -> None:
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0
    for name, port in ports.items():
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"{name} port {port} still open after Ctrl-C"


def _live_in_app_event(socket: ClientConnection) -> dict[str, object]:
    """The first ``message.sent`` frame of the in-app channel (the welcome frame comes first)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        frame = json.loads(socket.recv(timeout=deadline - time.monotonic()))
        if frame["event_type"] == "message.sent" and frame["body"]["channel"] == "in_app":
            return dict(frame["body"])
    raise AssertionError("no live in-app event")


def _welcome_arrives(base: str, key: str, mail: Path) -> None:
    """The demo workflow runs on the dev worker: the email lands in the sink, the feed lists both steps,
    and the in-app message is pushed live to a socket (worker and API share one in-process bus)."""
    headers = {"Authorization": f"ApiKey {key}"}
    body = {"name": "welcome", "to": {"subscriberId": "dev-1", "email": "dev@example.test", "firstName": "Dev"},
            "payload": {"appName": "DevApp"}, "transactionId": "dev-welcome"}
    url = base.replace("http://", "ws://") + f"/api/v1/ws/subscribe?event_types=message.*&access_token={key}"
    with connect(url) as socket:
        assert httpx.post(f"{base}/v1/events/trigger", json=body, headers=headers).status_code == 201
        live = _live_in_app_event(socket)
    assert live["transactionId"] == "dev-welcome" and live["subscriberId"] == "dev-1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(mail.glob("*.eml")):
        time.sleep(0.2)
    [eml] = list(mail.glob("*.eml"))
    assert "Subject: Welcome to DevApp" in eml.read_text()
    feed = httpx.get(f"{base}/v1/notifications", params={"transactionId": "dev-welcome"}, headers=headers).json()
    [notification] = feed["data"]
    assert sorted(job["type"] for job in notification["jobs"]) == ["email", "in_app"]


def test_dev_command_runs_everything_and_keeps_the_key(tmp_path):
    ports = {name: _free_port() for name in ("api", "temporal", "ui", "smtp")}
    proc, key = _start(tmp_path, ports)
    try:
        base = f"http://127.0.0.1:{ports['api']}"
        assert httpx.get(f"{base}/health").json() == {"status": "ok"}
        assert httpx.get(f"{base}/docs").status_code == 200
        me = httpx.get(f"{base}/v1/environments/me", headers={"Authorization": f"ApiKey {key}"})
        assert me.status_code == 200 and me.json()["data"]["identifier"] == "development"
        deadline = time.monotonic() + 30
        ready = httpx.get(f"{base}/ready")
        while ready.status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
            ready = httpx.get(f"{base}/ready")
        assert ready.json()["checks"] == {"database": "ok", "temporal": "ok"}
        assert httpx.get(f"http://127.0.0.1:{ports['ui']}/").status_code == 200
        _welcome_arrives(base, key, tmp_path / "mail")
        # clarion dev keeps closed runs for a week (CLARION_DEV__TEMPORAL_RETENTION_HOURS), not the dev server's day.
        described = subprocess.run(
            [str(Path(sys.executable).parent / "temporal"), "operator", "namespace", "describe", "--namespace",
             "default", "--address", f"127.0.0.1:{ports['temporal']}", "--output", "json"],
            capture_output=True, text=True, check=True, timeout=30,
        )
        assert json.loads(described.stdout)["config"]["workflowExecutionRetentionTtl"] == "604800s"
    finally:
        _stop(proc, ports)
    assert (tmp_path / "temporal.db").exists() and (tmp_path / "clarion.db").exists()
    proc, again = _start(tmp_path, ports)
    try:
        assert again == key
    finally:
        _stop(proc, ports)
