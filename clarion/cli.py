"""The ``clarion`` command: run the service, migrate, and manage keys and environments."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from core.settings import get_settings

app = typer.Typer(help="Clarion, the notification orchestrator.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
envs_app = typer.Typer(help="Inspect environments.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(envs_app, name="environments")

T = TypeVar("T")


def _run(factory: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(factory())  # type: ignore[arg-type]


@app.command()
def dev() -> None:
    """Run everything locally: Temporal dev server + UI, SMTP sink, API, worker, demo data."""
    from core.settings import Settings

    from .dev import run_dev

    raise typer.Exit(run_dev(Settings(mode="dev")))


@app.command()
def api(
    with_worker: Annotated[
        bool, typer.Option("--with-worker", help="Also run a worker in this process, sharing its real-time bus.")
    ] = False,
) -> None:
    """Serve the HTTP API with uvicorn."""
    from .runners import serve_api

    serve_api(get_settings(), with_worker=with_worker)


@app.command()
def worker() -> None:
    """Run a Temporal worker: Clarion's workflows and activities (start as many as you need)."""
    from .runners import exit_drained, run_worker

    _run(lambda: run_worker(get_settings()))
    exit_drained()


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from .runners import migrate_database

    _run(lambda: migrate_database(get_settings()))
    typer.echo("database is up to date")


@app.command()
def providers() -> None:
    """List the channel providers found through entry points, and the ones that failed to load."""
    from channels import ChannelRegistry

    registry, failures = ChannelRegistry.from_entry_points()
    for cls in registry.classes():
        typer.echo(f"{cls.id:<22} {cls.channel.value:<8} {cls.display_name}  ({cls.__module__})")
    for failure in failures:
        typer.echo(f"FAILED {failure.entry_point} ({failure.value}): {failure.error}", err=True)
    if failures:
        raise typer.Exit(1)


@app.command()
def explain(
    transaction_id: str,
    subscriber_id: Annotated[str | None, typer.Argument()] = None,
    environment: Annotated[str, typer.Option(help="environment id or slug")] = "development",
    as_json: Annotated[bool, typer.Option("--json", help="the API's JSON instead of text")] = False,
) -> None:
    """Why a transaction's notifications did (not) arrive, per recipient and step."""
    from .operate import explain_command

    for line in _run(lambda: explain_command(get_settings(), environment, transaction_id, subscriber_id,
                                             as_json=as_json)):
        typer.echo(line)


@app.command()
def redrive(
    transaction_id: str,
    environment: Annotated[str, typer.Option(help="environment id or slug")] = "development",
    subscriber: Annotated[list[str] | None, typer.Option(help="only these subscribers (repeat)")] = None,
    channel: Annotated[list[str] | None, typer.Option(help="only these channels (repeat)")] = None,
    step: Annotated[list[str] | None, typer.Option(help="only these step ids (repeat)")] = None,
    include: Annotated[list[str] | None, typer.Option(help="failed and/or unknown (repeat); default both")] = None,
) -> None:
    """Send again a transaction's deliveries that ended failed or unknown (never the sent ones)."""
    from .operate import redrive_command

    for line in _run(lambda: redrive_command(get_settings(), environment, transaction_id,
                                             subscriber_ids=subscriber or [], channels=channel or [],
                                             steps=step or [], include=include or [])):
        typer.echo(line)


@app.command("smtp-sink", hidden=True)
def smtp_sink(
    port: Annotated[int, typer.Option()] = 2525,
    folder: Annotated[Path, typer.Option()] = Path(".clarion/mail"),
    host: Annotated[str, typer.Option()] = "127.0.0.1",
) -> None:
    """Catch every email on a local port and keep it as a file."""
    from .smtp_sink import run_sink

    run_sink(host, port, folder)


@keys_app.command("create")
def keys_create(
    environment: Annotated[str, typer.Option(help="environment id or slug")],
    name: Annotated[str, typer.Option()] = "cli",
    scope: Annotated[list[str] | None, typer.Option(help="repeat for several; default *")] = None,
) -> None:
    """Create an API key; it is printed once and stored only as a hash."""
    from .admin import create_key

    raw = _run(lambda: create_key(get_settings(), environment, name, scope or []))
    typer.echo(raw)


@keys_app.command("list")
def keys_list() -> None:
    """List API keys (never their secret)."""
    from .admin import list_keys

    for line in _run(lambda: list_keys(get_settings())):
        typer.echo(line)


@keys_app.command("revoke")
def keys_revoke(key_id: uuid.UUID) -> None:
    """Revoke a key by its id."""
    from .admin import revoke_key

    if not _run(lambda: revoke_key(get_settings(), key_id)):
        typer.echo("no live key with that id", err=True)
        raise typer.Exit(1)
    typer.echo("revoked")


@envs_app.command("list")
def environments_list() -> None:
    """List environments with their ids."""
    from .admin import list_environments

    for line in _run(lambda: list_environments(get_settings())):
        typer.echo(line)
