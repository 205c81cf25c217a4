"""With PROMETHEUS_MULTIPROC_DIR (several API worker processes), one scrape sums every process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.observability.conftest import samples, value

ROOT = Path(__file__).resolve().parents[2]
RECORD = """
from core import metrics
metrics.TRIGGERS.labels("welcome", "processed").inc({n})
metrics.WEBSOCKETS.labels("key").inc()
"""
SCRAPE = """
from prometheus_client import generate_latest
from core import metrics
print(generate_latest(metrics.registry()).decode())
"""


def _python(code: str, folder: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True,
                          text=True, timeout=60).stdout


def test_a_scrape_sums_the_processes_sharing_the_folder(tmp_path: Path) -> None:
    _python(RECORD.format(n=2), tmp_path)
    _python(RECORD.format(n=3), tmp_path)
    page = samples(_python(SCRAPE, tmp_path))
    assert value(page, "clarion_triggers_total", workflow="welcome", status="processed") == 5
    # A gauge is summed over the processes' files (prometheus_client.multiprocess.mark_process_dead
    # removes a dead process's share).
    assert value(page, "clarion_websocket_connections", kind="key") == 2
