"""One trigger is one trace: HTTP request -> Temporal workflow -> activity -> provider call (SMTP,
and an HTTP webhook through httpx) -> database, with the trace id in the response header and the
activity feed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from clarion.observability.tracing import instrument_app
from store.engine import make_sessions
from tests.pipeline.conftest import Mailbox, open_pipeline, pipeline_settings
from tests.pipeline.factories import add_workflow
from tests.sdk import serve

SECRET = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
STEPS = [
    {"id": "mail", "type": "email", "active": True, "controls": {"subject": "Hi", "body": "<p>Hello</p>"}},
    {"id": "hook", "type": "webhook", "active": True, "controls": {"body": '{"n": 1}'}},
]


@pytest.fixture
async def receiver() -> AsyncIterator[str]:
    app = FastAPI()

    @app.post("/hook")
    async def hook(request: Request) -> Any:
        return {"id": "remote-1"}

    async with serve(app) as url:
        yield url


async def test_one_trace_spans_http_workflow_activity_provider_and_database(
    spans: InMemorySpanExporter, engine: AsyncEngine, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int],
    receiver: str,
) -> None:
    # ``spans`` first: tracing is set up before the test's database engine is made.
    mailbox, port = smtp
    client = await Client.connect(
        temporal_env.client.service_client.config.target_host, namespace=temporal_env.client.namespace,
        data_converter=pydantic_data_converter, interceptors=[TracingInterceptor()],
    )
    settings = pipeline_settings(port, f"tq-{uuid.uuid4().hex}")
    async with open_pipeline(make_sessions(engine), client, mailbox, settings) as p:
        instrument_app(p.app)
        hook = {"providerId": "webhook", "credentials": {"url": f"{receiver}/hook", "secret": SECRET}}
        assert (await p.client.post("/v1/integrations", json=hook, headers=p.headers)).status_code == 201
        await add_workflow(p.sessions, p.tenancy.env_a.id, "traced", steps=STEPS)
        spans.clear()
        response = await p.trigger({"name": "traced", "transactionId": "tx-trace",
                                    "to": {"subscriberId": "ada", "email": "ada@example.test"}})
        assert response.status_code == 201, response.text
        trace_id = response.headers["X-Trace-Id"]
        assert (await p.finish("tx-trace")).sent == 2
        feed = (await p.client.get("/v1/notifications", params={"transactionId": "tx-trace"},
                                   headers=p.headers)).json()["data"]
        untraced = await p.client.get("/health")

    ours = [s for s in spans.get_finished_spans() if format(s.context.trace_id, "032x") == trace_id]
    names = {s.name for s in ours}
    server = [s for s in ours if s.kind == SpanKind.SERVER]
    assert server and server[0].attributes and server[0].attributes.get("http.route") == "/v1/events/trigger"
    assert "StartWorkflow:Trigger" in names or any(n.startswith("StartWorkflow:") for n in names), names
    assert any(n.startswith("RunWorkflow:") for n in names), names
    assert "RunActivity:send_step" in names, names
    assert {"send smtp", "send webhook"} <= names, names
    # The webhook's HTTP call (httpx) and statements on the database, inside the same trace.
    assert any(s.kind == SpanKind.CLIENT and str((s.attributes or {}).get("http.url", "")).startswith(receiver)
               for s in ours), [(s.name, dict(s.attributes or {})) for s in ours if s.name == "POST"]
    assert any((s.attributes or {}).get("db.system") in ("sqlite", "postgresql") for s in ours), [
        (s.name, format(s.context.trace_id, "032x")[:6], dict(s.attributes or {}).get("db.system"))
        for s in spans.get_finished_spans()][:40]
    send = next(s for s in ours if s.name == "send smtp")
    activity = next(s for s in ours if s.name == "RunActivity:send_step" and s.context.span_id == send.parent.span_id
                    ) if send.parent else None
    assert activity is not None, "the provider span is a child of the activity's span"

    [item] = feed
    assert item["traceId"] == trace_id
    assert {d["traceId"] for job in item["jobs"] for d in job["executionDetails"]} == {trace_id}
    assert "X-Trace-Id" not in untraced.headers  # probes are not traced
