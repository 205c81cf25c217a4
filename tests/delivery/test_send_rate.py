"""Send-rate limits: a 1000-member topic through an integration limited to 50/s, counted at the provider.

This is a correctness test, not a benchmark: the local provider records when each send arrives,
and no one-second window (sliding, at every arrival) may hold more than 50.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI, Request

from store.models import Message
from tests.pipeline.conftest import Mailbox, Pipeline
from tests.pipeline.factories import add_subscribers, add_topic, add_workflow
from tests.sdk import serve

EMAIL = [{"id": "mail", "type": "email", "active": True, "controls": {"subject": "Hi", "body": "<p>Hello</p>"}}]
MEMBERS = 1000
RATE = 50


@pytest.fixture
async def counting_provider() -> AsyncIterator[tuple[str, list[float]]]:
    """Answers like Resend's ``POST /emails`` and notes each arrival's time."""
    arrivals: list[float] = []
    app = FastAPI()

    @app.post("/emails")
    async def emails(request: Request) -> Any:
        arrivals.append(time.monotonic())
        await request.body()
        return {"id": f"re-{len(arrivals)}"}

    async with serve(app) as url:
        yield url, arrivals


def busiest_second(arrivals: list[float]) -> int:
    """The most arrivals in any one-second window. A token bucket allows its burst plus a second's
    refill in such a window, so the bound to assert is rate + burst, not the rate alone."""
    times = sorted(arrivals)
    return max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))


async def test_a_1000_member_topic_arrives_at_no_more_than_50_per_second(
    delivery: Pipeline, counting_provider: tuple[str, list[float]]
) -> None:
    p = delivery
    url, arrivals = counting_provider
    env = p.tenancy.env_a.id
    created = await p.client.post("/v1/integrations", headers=p.headers, json={
        "providerId": "resend", "identifier": "limited",
        "credentials": {"api_key": "re_k", "from_address": "a@clarion.example", "base_url": url}})
    assert created.status_code == 201, created.text
    limit = await p.client.put("/v1/integrations/limited/rate-limit", headers=p.headers,
                               json={"maxPerSecond": RATE, "burst": 10})
    assert limit.status_code == 200 and limit.json()["data"] == {"maxPerSecond": RATE, "burst": 10}
    members = [f"m{i:04}" for i in range(MEMBERS)]
    await add_subscribers(p.sessions, env, members, email=True)
    await add_topic(p.sessions, env, "everyone", members)
    await add_workflow(p.sessions, env, "news", steps=EMAIL)

    answer = await p.trigger({"name": "news", "to": [{"type": "Topic", "topicKey": "everyone"}],
                              "transactionId": "tx-rate"})
    assert answer.status_code == 201, answer.text
    await p.finish("tx-rate")

    assert len(arrivals) == MEMBERS
    assert busiest_second(arrivals) <= RATE + 10, busiest_second(arrivals)
    sent = await p.messages(transaction_id="tx-rate", status="sent")
    assert len(sent) == MEMBERS and all(isinstance(m, Message) and m.provider_id == "resend" for m in sent)


async def test_a_rate_limited_smtp_integration_waits_for_its_slots_too(
    delivery: Pipeline, smtp: tuple[Mailbox, int]
) -> None:
    """SMTP sends are staged (connected up to DATA) before their marker: the slot is taken before that."""
    p, (mailbox, port) = delivery, smtp
    env = p.tenancy.env_a.id
    created = await p.client.post("/v1/integrations", headers=p.headers, json={
        "providerId": "smtp", "identifier": "relay", "primary": True,
        "credentials": {"host": "127.0.0.1", "port": port, "security": "none", "from_address": "c@example.test"}})
    assert created.status_code == 201, created.text
    limit = await p.client.put("/v1/integrations/relay/rate-limit", headers=p.headers,
                               json={"maxPerSecond": 20, "burst": 5})
    assert limit.status_code == 200, limit.text
    members = [f"s{i:03}" for i in range(60)]
    await add_subscribers(p.sessions, env, members, email=True)
    await add_topic(p.sessions, env, "few", members)
    await add_workflow(p.sessions, env, "news", steps=EMAIL)
    answer = await p.trigger({"name": "news", "to": [{"type": "Topic", "topicKey": "few"}], "transactionId": "tx-smtp"})
    assert answer.status_code == 201, answer.text
    await p.finish("tx-smtp")
    assert len(mailbox.arrivals) == len(members)
    assert busiest_second(mailbox.arrivals) <= 20 + 5, busiest_second(mailbox.arrivals)


async def test_burst_cannot_exceed_the_rate_and_null_removes_the_limit(delivery: Pipeline) -> None:
    p = delivery
    created = await p.client.post("/v1/integrations", headers=p.headers, json={
        "providerId": "resend", "identifier": "limited",
        "credentials": {"api_key": "re_k", "from_address": "a@clarion.example"}})
    assert created.status_code == 201
    wrong = await p.client.put("/v1/integrations/limited/rate-limit", headers=p.headers,
                               json={"maxPerSecond": 5, "burst": 6})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "burst"
    cleared = await p.client.put("/v1/integrations/limited/rate-limit", headers=p.headers, json={"maxPerSecond": None})
    assert cleared.json()["data"] == {"maxPerSecond": None, "burst": None}
