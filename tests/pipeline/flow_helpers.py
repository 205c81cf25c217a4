"""Helpers of the digest, throttle and condition tests: create workflows, trigger, await digests."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from activities.digest import group_id
from core.payloads import RunResult
from store.models import ExecutionDetail
from tests.pipeline.conftest import Pipeline
from workflows.digest_group import DigestOutcome


async def create_workflow(p: Pipeline, identifier: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    body = {"name": identifier.title(), "workflowId": identifier, "steps": steps}
    response = await p.client.post("/v2/workflows", json=body, headers=p.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def trigger(p: Pipeline, name: str, tx: str, payload: dict[str, Any], to: Any = "ada") -> None:
    response = await p.trigger({"name": name, "to": to, "payload": payload, "transactionId": tx})
    assert response.status_code == 201, response.text


async def trigger_all(p: Pipeline, name: str, payloads: dict[str, dict[str, Any]], to: Any = "ada") -> list[RunResult]:
    """Trigger every (transactionId, payload) at once and wait for their trigger workflows."""
    await asyncio.gather(*(trigger(p, name, tx, payload, to) for tx, payload in payloads.items()))
    return list(await asyncio.gather(*(p.finish(tx) for tx in payloads)))


async def digest_done(
    p: Pipeline, workflow: dict[str, Any], step_id: str, key: Any = None, subscriber_id: str = "ada"
) -> DigestOutcome:
    """The outcome of a digest group (following its generations), then of the run that sent it."""
    group = group_id(str(p.tenancy.env_a.id), workflow["_id"], subscriber_id, step_id, key)
    handle = p.temporal.get_workflow_handle(group, result_type=DigestOutcome)
    outcome = await handle.result()
    if outcome.run_id:
        await p.temporal.get_workflow_handle(outcome.run_id, result_type=RunResult).result()
    return outcome


async def details(p: Pipeline, **where: Any) -> list[ExecutionDetail]:
    async with p.sessions() as session:
        return list(await session.scalars(select(ExecutionDetail).filter_by(**where)
                                          .order_by(ExecutionDetail.created_at)))


def inbox(body: str, **controls: Any) -> dict[str, Any]:
    return {"name": "Inbox", "type": "in_app", "controlValues": {"body": body, **controls}}
