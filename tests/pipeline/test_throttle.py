"""The throttle step: exact under concurrency, recorded in the execution details."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import NativeApi
from tests.pipeline.conftest import Pipeline
from tests.pipeline.flow_helpers import create_workflow, details, inbox, trigger_all


def throttle(**controls: Any) -> dict[str, Any]:
    return {"name": "Throttle", "type": "throttle", "controlValues": controls}


async def test_three_per_hour_delivers_three_of_ten_and_records_seven_throttled(pipeline: Pipeline) -> None:
    steps = [throttle(threshold=3, amount=1, unit="hours"), inbox("ping {{ payload.n }}")]
    await create_workflow(pipeline, "pings", steps)
    results = await trigger_all(pipeline, "pings", {f"tx-t{i}": {"n": i} for i in range(10)})
    assert sorted(r.sent for r in results) == [0] * 7 + [1] * 3
    assert sum(r.notes == ["step 'throttle': throttled 1 recipient(s)"] for r in results) == 7
    assert len(await pipeline.messages(subscriber_id="ada", channel="in_app")) == 3
    recorded = [d.detail for d in await details(pipeline, step_id="throttle")]
    assert sum(d.startswith("Throttled: the limit of 3 per 3600s was reached") for d in recorded) == 7
    assert sum(d.startswith("Throttle passed") for d in recorded) == 3


async def test_throttle_counts_per_key_and_per_subscriber(pipeline: Pipeline) -> None:
    await create_workflow(pipeline, "keyed", [
        throttle(threshold=1, amount=1, unit="hours", throttleKey="project"), inbox("{{ payload.project }}"),
    ])
    await trigger_all(pipeline, "keyed", {"tx-p1": {"project": "a"}, "tx-p2": {"project": "a"},
                                          "tx-p3": {"project": "b"}})
    await trigger_all(pipeline, "keyed", {"tx-p4": {"project": "a"}}, to="grace")
    assert sorted(m.content for m in await pipeline.messages(subscriber_id="ada")) == ["a", "b"]
    assert [m.content for m in await pipeline.messages(subscriber_id="grace")] == ["a"]


async def test_a_dynamic_window_comes_from_the_payload(pipeline: Pipeline) -> None:
    await create_workflow(pipeline, "dyn", [
        throttle(threshold=1, type="dynamic", dynamicKey="payload.window"), inbox("x"),
    ])
    results = await trigger_all(pipeline, "dyn", {"tx-d1": {"window": {"amount": 1, "unit": "days"}},
                                                  "tx-d2": {"window": 86400}})
    assert sorted(r.sent for r in results) == [0, 1]


@pytest.mark.parametrize(("controls", "field", "words"), [
    ({"amount": 1, "unit": "hours"}, "threshold", "Field required"),
    ({"threshold": 0, "amount": 1, "unit": "hours"}, "threshold", "greater than 0"),
    ({"threshold": 3}, "", "amount and unit"),
    ({"threshold": 3, "type": "dynamic"}, "", "dynamicKey"),
])
async def test_bad_throttle_controls_are_a_400_naming_the_step(
    native_api: NativeApi, controls: dict[str, Any], field: str, words: str
) -> None:
    body = {"name": "Bad", "workflowId": "bad", "steps": [throttle(**controls), inbox("x")]}
    response = await native_api.client.post("/v2/workflows", json=body, headers=native_api.headers_a)
    assert response.status_code == 400, response.text
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    key = "steps[0].controlValues" + (f".{field}" if field else "")
    assert key in errors and words in errors[key] and 'step "throttle"' in errors[key], errors
