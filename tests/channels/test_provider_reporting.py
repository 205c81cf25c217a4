"""Load failures are reported, never swallowed: ``clarion providers`` and ``/ready`` show them."""

from __future__ import annotations

import importlib.metadata
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from api.app import create_app
from clarion.cli import app as cli
from core.settings import Settings
from store.engine import make_sessions

GROUP = "clarion.channels"


def broken_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real entry points plus one whose module does not exist."""
    real = importlib.metadata.entry_points
    broken = importlib.metadata.EntryPoint("ghost", "no_such_module:Ghost", GROUP)

    def entry_points(**params: Any) -> Any:
        found = real(**params)
        if params.get("group") == GROUP:
            return importlib.metadata.EntryPoints([*found, broken])
        return found

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


def test_cli_lists_providers_with_their_channel() -> None:
    result = CliRunner().invoke(cli, ["providers"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()}
    assert lines["smtp"] == "email" and lines["slack_webhook"] == "chat" and lines["webhook"] == "webhook"


def test_cli_exits_1_and_names_a_plugin_that_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    broken_plugin(monkeypatch)
    result = CliRunner().invoke(cli, ["providers"])
    assert result.exit_code == 1
    assert "FAILED ghost" in result.stderr and "no_such_module" in result.stderr
    assert "smtp" in result.stdout  # the healthy ones are still listed


async def test_ready_shows_load_failures_without_failing(engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    broken_plugin(monkeypatch)
    app = create_app(Settings(mode="dev"), sessions=make_sessions(engine), temporal=object())  # type: ignore[arg-type]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        body = (await client.get("/ready")).json()
    assert [f["provider"] for f in body["providerFailures"]] == ["ghost"]
    assert body["checks"]["database"] == "ok"
    assert "providerFailures" not in body["checks"]  # a broken plugin is not a failed check
