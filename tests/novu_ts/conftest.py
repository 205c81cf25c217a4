"""Novu's TypeScript SDK (``@novu/api``, pinned in package.json and package-lock.json) for the story test.

``npm ci`` installs it into ``tests/novu_ts/node_modules`` (gitignored) on first use, under a file
lock. Without Node or npm the test fails when ``CI`` is set and is skipped elsewhere, with the reason.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.story.conftest import smtp, story

__all__ = ["node", "smtp", "story"]

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def node() -> str:
    """The ``node`` binary, with ``@novu/api`` installed next to the story script."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        reason = "Node.js and npm are needed to run Novu's TypeScript SDK (@novu/api)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with open(HERE / ".npm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (HERE / "node_modules" / "@novu" / "api" / "package.json").exists():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=600)
    return node
