"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api.deps import ServicesDep
from store import engine

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]
    # Channel providers whose entry point failed to load: shown, but they do not fail readiness.
    providerFailures: list[dict[str, str]] = []


@router.get("/health", response_model=Health)
async def health() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}})
async def ready(services: ServicesDep, request: Request) -> Any:
    """The database and Temporal both answer; a failure names what failed (provider load failures
    are listed too, without failing readiness: the other providers still deliver)."""
    checks: dict[str, str] = {}
    try:
        async with services.sessions() as session:
            await asyncio.wait_for(engine.ping(session=session), timeout=5)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"failed: {type(exc).__name__}: {exc}"[:300]
    try:
        await services.temporal.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=timedelta(seconds=5))
        checks["temporal"] = "ok"
    except Exception as exc:
        checks["temporal"] = f"failed: {type(exc).__name__}: {exc}"[:300]
    ok = all(v == "ok" for v in checks.values())
    failures = [
        {"provider": f.entry_point, "target": f.value, "error": f.error}
        for f in getattr(request.app.state, "channel_failures", [])
    ]
    body = Readiness(status="ok" if ok else "unavailable", checks=checks, providerFailures=failures)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
