"""Novu's real SDKs as clients: their virtual environments and a uvicorn server to point them at.

Each SDK lives in its own virtual environment at the repository root, created on first use (pip
reaches the package index; nothing is downloaded at run time by Clarion itself). xdist workers may
arrive together, so creation happens under a file lock.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parents[1]
SDKS = {
    # name: (venv folder, module to probe, pip requirements)
    "novu-py": (".venv-novupy", "novu_py", ["novu-py==3.19.0"]),
    "novu": (".venv-novu", "novu", ["novu==1.14.0", "setuptools<82"]),
}


def sdk_python(name: str) -> Path:
    """The interpreter of the SDK's virtual environment, creating it when missing or broken."""
    folder, module, requirements = SDKS[name]
    python = ROOT / folder / "bin" / "python"
    with open(ROOT / f"{folder}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True) if python.exists() else None
        if probe is None or probe.returncode:
            subprocess.run([sys.executable, "-m", "venv", ROOT / folder], check=True)
            subprocess.run([python, "-m", "pip", "install", "-q", *requirements], check=True, timeout=600)
    return python


@asynccontextmanager
async def serve(app: FastAPI, *, lifespan: str = "off") -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on this event loop (where the test's database engine lives); yield its URL."""
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan=lifespan, log_level="warning", ws="none"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving
        sock.close()


async def run_sdk(name: str, script: str, *args: str, timeout: float = 120) -> Any:
    """Run ``script`` with the SDK's interpreter; it must print one JSON document, which is returned."""
    python = await asyncio.to_thread(sdk_python, name)
    proc = await asyncio.create_subprocess_exec(
        python, "-c", script, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode == 0, err.decode()
    return json.loads(out)
