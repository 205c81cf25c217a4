"""The demo page of ``clarion dev`` (dev mode only): Novu's ``<Inbox />`` for a demo subscriber, and a trigger button.

The bundle is built from pinned npm packages by ``tests/inbox_js/build_demo.mjs`` and committed, so no
Node runs here. The button posts to this module, which triggers the demo workflow server-side: the
page never holds an API key.
"""

from __future__ import annotations

import html
import json
import uuid
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Principal
from api.deps import SessionDep, SettingsDep, TemporalDep
from api.errors import NotFound
from api.novu.schemas.events import TriggerBody, TriggerEnvelope
from core.settings import Settings
from store import inbox_sessions, tenancy
from store.models import Environment

router = APIRouter(prefix="/demo/inbox", include_in_schema=False)
DEMO_SUBSCRIBER = "demo-subscriber"
DEMO_WORKFLOW = "welcome"
PATH = "/demo/inbox"

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Clarion inbox demo</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><div id="root"></div>
<script>window.CLARION_DEMO = {config};</script>
<script src="{prefix}/inbox-demo.js"></script></body></html>
"""


async def _demo_environment(session: Any, settings: Settings) -> Environment:
    if settings.mode != "dev":
        raise NotFound("The inbox demo is served in dev mode only")
    # The tenancy clarion/seed.py creates: organization "demo", project "default", environment "development".
    org = await tenancy.get_organization_by_slug(session=session, slug="demo")
    project = await tenancy.get_project_by_slug(session=session, organization_id=org.id, slug="default") \
        if org is not None else None  # fmt: skip
    env = await tenancy.get_environment_by_slug(session=session, project_id=project.id, slug="development") \
        if project is not None else None  # fmt: skip
    if env is None:
        raise NotFound("No demo environment: start Clarion with `clarion dev`, which seeds it")
    return env


@router.get("", response_class=HTMLResponse)
async def page(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    env = await _demo_environment(session, settings)
    identifier = await inbox_sessions.application_identifier(session=session, env=env)
    await session.commit()
    base = str(request.base_url).rstrip("/")
    config = {"applicationIdentifier": identifier, "subscriberId": DEMO_SUBSCRIBER, "apiUrl": base,
              "triggerUrl": f"{base}{PATH}/trigger", "workflow": DEMO_WORKFLOW}  # fmt: skip
    # The config is JSON inside a script element: "</" is escaped so no value can close the element.
    text = json.dumps(config).replace("</", "<\\/")
    return HTMLResponse(_PAGE.format(config=text, prefix=html.escape(PATH)))


@router.get("/inbox-demo.js")
async def bundle(settings: SettingsDep) -> Response:
    if settings.mode != "dev":
        raise NotFound("The inbox demo is served in dev mode only")
    body = resources.files("api.novu.inbox").joinpath("demo_assets/inbox-demo.js").read_bytes()
    return Response(body, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@router.post("/trigger", status_code=201, response_model=TriggerEnvelope, response_model_exclude_none=True)
async def trigger(request: Request, session: SessionDep, settings: SettingsDep, temporal: TemporalDep) -> Any:
    """Trigger the demo workflow for the demo subscriber, as the page's button asks."""
    env = await _demo_environment(session, settings)
    principal = Principal(uuid.UUID(int=0), frozenset({"*"}), env.organization_id, env.project_id, env.id,
                          name="inbox demo page")  # fmt: skip
    body = TriggerBody.model_validate({"name": DEMO_WORKFLOW, "to": {"subscriberId": DEMO_SUBSCRIBER},
                                       "payload": {"appName": "the Clarion inbox demo"}})  # fmt: skip
    return TriggerEnvelope(data=await request.app.state.triggers.trigger(body, principal, session, temporal))
