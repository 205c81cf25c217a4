"""No key reaches another environment's data: every registered route, called with a foreign key."""

from __future__ import annotations

import re

import httpx

from api.app import create_app
from core.settings import Settings
from store.engine import make_sessions
from tests.factories import two_environments

PUBLIC = {"/health", "/ready", "/metrics"}  # /metrics: its own token (tests/observability)


async def test_every_route_refuses_or_hides_a_foreign_environment(engine, temporal_env):
    sessions = make_sessions(engine)
    t = await two_environments(sessions, slug_a="secret-a")
    env_a, key_b = t.env_a, t.key_b
    app = create_app(Settings(mode="dev"), sessions=sessions, temporal=temporal_env.client)
    # The OpenAPI document lists every route of every included router (and keeps /docs complete).
    routes = [(p, {m.upper() for m in ops}) for p, ops in app.openapi()["paths"].items() if p not in PUBLIC]
    assert routes, "the app registers no authenticated route"
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        for template, methods in routes:
            path = re.sub(r"\{[^}]+\}", str(env_a.id), template)
            for method in methods - {"HEAD", "OPTIONS"}:
                foreign = await client.request(
                    method,
                    path,
                    headers={"Authorization": f"ApiKey {key_b}", "x-environment-id": str(env_a.id)},
                    json={},
                )
                assert foreign.status_code in (400, 401, 403, 404, 422), (method, path, foreign.status_code)
                own = await client.request(method, path, headers={"Authorization": f"ApiKey {key_b}"}, json={})
                # A validation message may quote the value it refuses ('…'); anything else naming A leaks.
                assert str(env_a.id) not in own.text.replace(path, "").replace(f"'{env_a.id}'", ""), (method, path)
                assert "secret-a" not in own.text, (method, path)
