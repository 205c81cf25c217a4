"""Triggers through a real API, Temporal dev server, worker and SMTP server move the right counters
on the API's ``/metrics``, the worker's metrics port and the Temporal SDK runtime's port."""

from __future__ import annotations

import socket
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from clarion.observability.metrics import serve_metrics, temporal_runtime
from store.engine import make_sessions
from tests.observability.conftest import samples, scrape, value
from tests.pipeline.conftest import Mailbox, Pipeline, open_pipeline, pipeline, pipeline_settings  # noqa: F401


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_triggers_move_api_worker_and_temporal_metrics(
    engine: AsyncEngine, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    settings = pipeline_settings(port, f"tq-{uuid.uuid4().hex}")
    temporal_port = _free_port()
    # A client on a runtime of its own, as `clarion worker` builds it: the SDK serves its metrics.
    client = await Client.connect(
        temporal_env.client.service_client.config.target_host, namespace=temporal_env.client.namespace,
        data_converter=pydantic_data_converter, runtime=temporal_runtime("127.0.0.1", temporal_port),
    )
    worker_endpoint = serve_metrics("127.0.0.1", 0)
    try:
        async with open_pipeline(make_sessions(engine), client, mailbox, settings) as p:
            api_before = samples((await p.client.get("/metrics")).text)
            worker_before = await scrape(f"http://127.0.0.1:{worker_endpoint.port}/metrics")
            mailbox.replies.append("451 4.3.0 try again later")  # the first email fails temporarily
            ids = [f"tx-metrics-{i}-{uuid.uuid4().hex[:6]}" for i in range(3)]
            for i, tx in enumerate(ids):
                response = await p.trigger({"name": "welcome", "transactionId": tx, "payload": {},
                                            "to": {"subscriberId": f"m{i}", "email": f"m{i}@example.test"}})
                assert response.status_code == 201, response.text
            assert (await p.trigger({"name": "welcome", "transactionId": ids[0], "to": "m0"})).status_code == 201
            for tx in ids:
                result = await p.finish(tx)
                assert (result.sent, result.failed) == (2, 0)
            assert (await p.client.get("/v1/subscribers/m0", headers=p.headers)).status_code == 200
            api = samples((await p.client.get("/metrics")).text)
            worker = await scrape(f"http://127.0.0.1:{worker_endpoint.port}/metrics")
            temporal = await scrape(f"http://127.0.0.1:{temporal_port}/metrics")
    finally:
        worker_endpoint.close()

    def api_delta(name: str, **labels: str) -> float:
        return value(api, name, **labels) - value(api_before, name, **labels)

    def worker_delta(name: str, **labels: str) -> float:
        return value(worker, name, **labels) - value(worker_before, name, **labels)

    trigger_route = {"route": "/v1/events/trigger", "method": "POST"}
    assert api_delta("clarion_http_requests_total", **trigger_route, status="201") == 4
    assert api_delta("clarion_http_request_duration_seconds_count", **trigger_route) == 4
    # The route template, never the subscriber's id, is the label.
    assert api_delta("clarion_http_requests_total", route="/v1/subscribers/{subscriberId}", method="GET",
                     status="200") == 1
    assert not any("m0" in dict(labels).get("route", "") for _, labels in api)
    assert api_delta("clarion_triggers_total", workflow="welcome", status="processed") == 3
    assert api_delta("clarion_triggers_total", workflow="welcome", status="duplicate") == 1

    assert worker_delta("clarion_deliveries_total", channel="email", provider="smtp", outcome="sent") == 3
    assert worker_delta("clarion_deliveries_total", channel="in_app", provider="in_app", outcome="sent") == 3
    assert worker_delta("clarion_delivery_retries_total", channel="email", provider="smtp") == 1
    assert worker_delta("clarion_provider_attempts_total", channel="email", provider="smtp", outcome="retry") == 1
    assert worker_delta("clarion_provider_attempt_duration_seconds_count", channel="email", provider="smtp") == 4
    assert worker_delta("clarion_deliveries_total", channel="email", provider="smtp", outcome="failed") == 0

    # The SDK's own metrics: activity schedule-to-start latency (queue lag) for this task queue.
    lag = [labels for (name, labels) in temporal
           if name.startswith("temporal_activity_schedule_to_start_latency") and name.endswith("_count")]
    assert any(("task_queue", settings.temporal.task_queue) in labels for labels in lag), sorted(
        {name for name, _ in temporal})[:40]
    assert any(name.startswith("temporal_workflow_task_schedule_to_start_latency") for name, _ in temporal)


async def test_metrics_route_is_in_openapi_and_serves_text(engine: AsyncEngine) -> None:
    from api.app import create_app
    from core.settings import Settings

    app = create_app(Settings(mode="dev"), sessions=make_sessions(engine))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        page = await client.get("/metrics")
        unknown = await client.get(f"/no/such/{uuid.uuid4().hex}")
        again = await client.get("/metrics")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    assert unknown.status_code == 404
    assert value(samples(again.text), "clarion_http_requests_total", route="<unmatched>", method="GET",
                 status="404") >= 1
    assert "/metrics" in app.openapi()["paths"]


async def test_a_metrics_token_guards_the_route(engine: AsyncEngine) -> None:
    from api.app import create_app
    from core.observability_settings import ObservabilitySettings
    from core.settings import Settings

    settings = Settings(mode="dev", observability=ObservabilitySettings(metrics_token="scrape-me"))
    app = create_app(settings, sessions=make_sessions(engine))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert "clarion_http_requests_total" in right.text


async def test_throttle_outcomes_are_counted(pipeline: Pipeline) -> None:  # noqa: F811
    from prometheus_client import REGISTRY

    from tests.pipeline.flow_helpers import create_workflow, inbox, trigger_all

    def counted(outcome: str) -> float:
        labels = {"step": "throttle", "outcome": outcome}
        return REGISTRY.get_sample_value("clarion_action_step_recipients_total", labels) or 0.0

    before = {o: counted(o) for o in ("passed", "throttled")}
    steps = [{"name": "Throttle", "type": "throttle", "controlValues": {"threshold": 2, "amount": 1, "unit": "hours"}},
             inbox("ping")]
    await create_workflow(pipeline, "metered", steps)
    await trigger_all(pipeline, "metered", {f"tx-m{i}-{uuid.uuid4().hex[:6]}": {} for i in range(5)})
    assert counted("passed") - before["passed"] == 2
    assert counted("throttled") - before["throttled"] == 3


async def test_an_in_app_message_is_counted_once_when_its_commit_is_retried(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    from prometheus_client import REGISTRY

    from store import delivery_ledger
    from tests.pipeline.flow_helpers import create_workflow, inbox, trigger_all

    insert, refused = delivery_ledger.insert_messages, []

    async def first_insert_fails(*, session: Any, rows: Any) -> None:
        if rows and not refused:  # the attempt built its in-app rows, then its commit never happened
            refused.append(len(rows))
            raise RuntimeError("the database went away before the commit")
        await insert(session=session, rows=rows)

    def sent() -> float:
        labels = {"channel": "in_app", "provider": "in_app", "outcome": "sent"}
        return REGISTRY.get_sample_value("clarion_deliveries_total", labels) or 0.0

    monkeypatch.setattr(delivery_ledger, "insert_messages", first_insert_fails)
    before, tx = sent(), f"tx-once-{uuid.uuid4().hex[:6]}"
    await create_workflow(pipeline, "counted-once", [inbox("hello")])
    [result] = await trigger_all(pipeline, "counted-once", {tx: {}})
    assert refused == [1] and result.sent == 1
    assert len(await pipeline.messages(transaction_id=tx)) == 1
    assert sent() - before == 1
