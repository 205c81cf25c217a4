"""A copy of Clarion's packages taken when the benchmark starts, so the run measures one version.

The repository may be edited while a run goes on, and Temporal's workflow sandbox re-imports
workflow modules from disk for every new run: without a copy, a worker would mix two versions.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

# The packages of pyproject's [tool.setuptools.packages.find] include.
PACKAGES = ("api", "workflows", "activities", "channels", "templates", "store", "clarion")
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc")


def digest(root: Path) -> str:
    """A short hash of every file of the packages (paths and contents)."""
    h = hashlib.sha256()
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(root)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:12]


def snapshot(root: Path, dest: Path) -> str:
    """Copy the packages under ``dest``; return the digest of the copy."""
    for package in PACKAGES:
        shutil.copytree(root / package, dest / package, ignore=_SKIP)
    return digest(dest)
