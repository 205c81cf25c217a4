"""A preference set through the v2 route is what the worker applies at send time."""

from __future__ import annotations

from tests.pipeline.conftest import Pipeline
from tests.pipeline.factories import add_subscribers


async def switch_in_app(pipeline: Pipeline, enabled: bool) -> None:
    response = await pipeline.client.patch(
        "/v2/subscribers/pat/preferences",
        json={"workflowId": "welcome", "channels": {"in_app": enabled}},
        headers=pipeline.headers,
    )
    assert response.status_code == 200, response.text
    welcome = next(w for w in response.json()["data"]["workflows"] if w["workflow"]["identifier"] == "welcome")
    assert welcome["channels"]["in_app"] is enabled


async def test_in_app_switched_off_then_on_through_the_v2_route(pipeline: Pipeline) -> None:
    await add_subscribers(pipeline.sessions, pipeline.tenancy.env_a.id, ["pat"], email=True)

    await switch_in_app(pipeline, False)
    assert (await pipeline.trigger({"name": "welcome", "to": "pat", "transactionId": "tx-off"})).status_code == 201
    await pipeline.finish("tx-off")
    sent = await pipeline.messages(transaction_id="tx-off")
    assert [m.channel for m in sent] == ["email"]  # the email step still runs: only in_app was switched off

    await switch_in_app(pipeline, True)
    assert (await pipeline.trigger({"name": "welcome", "to": "pat", "transactionId": "tx-on"})).status_code == 201
    await pipeline.finish("tx-on")
    sent = await pipeline.messages(transaction_id="tx-on")
    assert sorted(m.channel for m in sent) == ["email", "in_app"]
    assert next(m for m in sent if m.channel == "in_app").subscriber_id == "pat"
