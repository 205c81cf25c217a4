"""A full run's logs (API, worker, providers; DEBUG and up) are structured, carry the request,
environment, transaction, subscriber and workflow, and never contain a credential."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response

from clarion.observability.logs import make_handler, redact
from core.settings import Settings
from tests.pipeline.conftest import Pipeline, pipeline  # noqa: F401  (a fixture)
from tests.pipeline.factories import add_workflow
from tests.sdk import serve

SMS_TOKEN = "sms-gateway-CRED-7f3a9c"
URL_TOKEN = "url-CRED-b81d2e"
WEBHOOK_SECRET = "whsec_Q1JFRC1kMGUxZmE5YjRjMmQzZTRmNWE2Yjc="
STEPS = [
    {"id": "text", "type": "sms", "active": True, "controls": {"body": "Code {{ payload.code }}"}},
    {"id": "hook", "type": "webhook", "active": True, "controls": {"body": '{"code": "{{ payload.code }}"}'}},
]


@pytest.fixture
async def gateway() -> AsyncIterator[str]:
    """An SMS gateway that refuses its first request (a retry, with its warning lines) and a webhook receiver."""
    calls: list[str] = []
    app = FastAPI()

    @app.post("/{path:path}")
    async def receive(path: str, request: Request) -> Any:
        calls.append(path)
        if path == "sms" and calls.count("sms") == 1:
            return Response(status_code=503)
        return {"id": "remote-1"}

    async with serve(app) as url:
        yield url


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = make_handler(Settings(mode="production", secret_key="s" * 16), stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_a_full_run_logs_context_and_no_credential(
    pipeline: Pipeline, gateway: str, captured: io.StringIO  # noqa: F811
) -> None:
    p = pipeline
    sms = {"url": f"{gateway}/sms?token={URL_TOKEN}", "headers": {"Authorization": f"Bearer {SMS_TOKEN}"}}
    for body in ({"providerId": "http_sms", "credentials": sms},
                 {"providerId": "webhook", "credentials": {"url": f"{gateway}/hook", "secret": WEBHOOK_SECRET}}):
        assert (await p.client.post("/v1/integrations", json=body, headers=p.headers)).status_code == 201
    await add_workflow(p.sessions, p.tenancy.env_a.id, "codes", steps=STEPS)
    response = await p.client.post("/v1/events/trigger", headers={**p.headers, "X-Request-Id": "req-logs-1"}, json={
        "name": "codes", "transactionId": "tx-logs", "payload": {"code": "42"},
        "to": {"subscriberId": "ada", "phone": "+15550001"}})
    assert response.status_code == 201, response.text
    result = await p.finish("tx-logs")
    assert (result.sent, result.failed) == (2, 0)

    text = captured.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    for secret in (SMS_TOKEN, URL_TOKEN, WEBHOOK_SECRET, WEBHOOK_SECRET.removeprefix("whsec_"), p.tenancy.key_a):
        assert secret not in text
    env = str(p.tenancy.env_a.id)
    [started] = [line for line in lines if line["message"].startswith("trigger started")]
    assert started["requestId"] == "req-logs-1"
    assert (started["environmentId"], started["transactionId"], started["workflow"]) == (env, "tx-logs", "codes")
    [retry] = [line for line in lines if line["logger"] == "clarion.deliveries" and "retry" in line["message"]]
    assert retry["level"] == "WARNING"
    assert (retry["subscriberId"], retry["transactionId"], retry["workflow"]) == ("ada", "tx-logs", "codes")
    assert retry["environmentId"] == env and retry["activity"] == "send_step"
    assert retry["temporalWorkflowId"].startswith("trigger:")


def test_redaction_covers_headers_query_tokens_and_url_passwords() -> None:
    line = redact("Authorization: ApiKey ck_live_123, GET https://u:pa55@h/x?access_token=abc&b=1, key rotation")
    assert line == "Authorization: ApiKey [redacted], GET https://u:[redacted]@h/x?access_token=[redacted]&b=1, " \
        "key rotation"
