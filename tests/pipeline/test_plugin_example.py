"""The example plugin under ``examples/``: pip-installed into this environment, found through its
entry point, and delivering a triggered SMS end to end through an integration that uses it."""

from __future__ import annotations

import fcntl
import importlib
import json
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import pytest

from channels import Channel, ChannelRegistry
from tests.pipeline.conftest import Pipeline
from tests.pipeline.factories import add_workflow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "clarion-provider-example"
DIST = "clarion-provider-example"


def _installed_version() -> str | None:
    try:
        return metadata.version(DIST)
    except metadata.PackageNotFoundError:
        return None


def install_example() -> None:
    """``pip install`` the example (a regular install, not ``-e``: an editable install's path hook
    reaches only processes started afterwards, and the xdist workers are already running)."""
    wanted = _pyproject_version()
    with open(ROOT / ".example-plugin.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed_version() == wanted:
            return
        with tempfile.TemporaryDirectory() as tmp:
            # Build from a copy so setuptools' build/ and egg-info never land in the repository.
            source = Path(tmp) / "src"
            shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", str(source)],
                           check=True, timeout=600)
    importlib.invalidate_caches()


def _pyproject_version() -> str:
    for line in (EXAMPLE / "pyproject.toml").read_text().splitlines():
        if line.startswith("version"):
            return line.split("=", 1)[1].strip().strip('"')
    raise AssertionError("no version in the example's pyproject.toml")


@pytest.fixture(scope="session")
def example_plugin() -> None:
    install_example()


def test_the_entry_point_is_discovered(example_plugin: None) -> None:
    registry, failures = ChannelRegistry.from_entry_points()
    assert failures == []
    provider = registry.get("file_sms")
    assert provider.channel == Channel.SMS
    assert provider.__module__ == "clarion_provider_example.provider"
    assert "path" in provider.config_model.model_json_schema()["properties"]


async def test_a_triggered_sms_is_delivered_through_the_plugin(
    example_plugin: None, pipeline: Pipeline, tmp_path: Path
) -> None:
    outbox = tmp_path / "sms.jsonl"
    body = {"providerId": "file_sms", "identifier": "file-sms",
            "credentials": {"path": str(outbox), "signature": "plugin-secret-value-1234"}}
    created = await pipeline.client.post("/v1/integrations", json=body, headers=pipeline.headers)
    assert created.status_code == 201, created.text
    assert created.json()["data"]["credentials"]["signature"] == "••••1234"
    steps = [{"id": "text", "type": "sms", "active": True, "controls": {"body": "Your code is {{ payload.code }}"}}]
    await add_workflow(pipeline.sessions, pipeline.tenancy.env_a.id, "otp", steps=steps)
    to = {"subscriberId": "ada", "phone": "+15550002"}
    await pipeline.trigger({"name": "otp", "to": to, "payload": {"code": "7"}, "transactionId": "tx-plugin"})
    result = await pipeline.finish("tx-plugin")
    assert result.sent == 1
    [line] = [json.loads(row) for row in outbox.read_text().splitlines()]
    assert (line["to"], line["content"], line["from"]) == ("+15550002", "Your code is 7", "Clarion")
    [message] = await pipeline.messages(transaction_id="tx-plugin")
    assert (message.provider_id, message.status) == ("file_sms", "sent")
