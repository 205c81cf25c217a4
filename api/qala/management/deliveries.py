"""Deliveries, dead letters and replay of one subscription (shared/event-apis.md §1.7-1.8)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError

from api.deps import PrincipalDep, SessionDep, TemporalDep
from api.errors import ServiceUnavailable
from api.operations.publishing import Publisher
from api.qala.http import both, problem, read_json, read_object
from api.qala.management.common import caller
from api.qala.management.subscriptions import SCOPE, load
from core.publishing_payloads import DeliveryInput
from core.run_identity import WEBHOOK_DELIVERY_WORKFLOW
from store import webhooks
from store.base import utcnow
from store.models import WebhookDelivery

router = APIRouter(prefix="/management/v1/topics/{topic}/subscriptions/{subscription_id}", tags=["management"])
STATUSES = ("pending", "retrying", "succeeded", "deadlettered", "skipped")
MAX_REPLAY_IDS = 1000
REPLAY_HORIZON = timedelta(days=14)


def _paging(request: Request) -> tuple[int, uuid.UUID | None]:
    raw_limit = request.query_params.get("limit", "50")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
        raise problem("limit", "The limit must be an integer from 1 to 100.")
    raw_cursor = request.query_params.get("cursor")
    try:
        return int(raw_limit), uuid.UUID(raw_cursor) if raw_cursor else None
    except ValueError:
        raise problem("cursor", "The cursor is not valid.") from None


async def _page(request: Request, principal: PrincipalDep, session: SessionDep, topic: str, subscription_id: str,
                statuses: list[str] | None) -> dict[str, Any]:
    who = await caller(session, principal, SCOPE, groups_allowed=True)
    _, sub = await load(session, who, topic, subscription_id)
    limit, cursor = _paging(request)
    try:
        rows, after = await webhooks.page(session=session, subscription_id=sub.id, statuses=statuses, limit=limit,
                                          cursor=cursor)
    except LookupError:
        raise problem("cursor", "The cursor is not valid.") from None
    return {"items": [webhooks.as_delivery(r) for r in rows], "nextCursor": str(after) if after else None}


@both(router, "GET", "/deliveries")
async def list_deliveries(topic: str, subscription_id: str, request: Request, principal: PrincipalDep,
                          session: SessionDep) -> dict[str, Any]:
    status = request.query_params.get("status")
    if status and status not in STATUSES:
        raise problem("status", f"The status must be one of {', '.join(STATUSES)}.")
    return await _page(request, principal, session, topic, subscription_id, [status] if status else None)


@both(router, "GET", "/deadletters")
async def list_deadletters(topic: str, subscription_id: str, request: Request, principal: PrincipalDep,
                           session: SessionDep) -> dict[str, Any]:
    return await _page(request, principal, session, topic, subscription_id, ["deadlettered"])


def _window(body: dict[str, Any]) -> tuple[datetime, datetime]:
    try:
        start = datetime.fromisoformat(str(body["from"]).replace("Z", "+00:00"))
        end = datetime.fromisoformat(str(body["to"]).replace("Z", "+00:00"))
    except ValueError:
        raise problem("from", "from and to must be RFC 3339 timestamps.") from None
    if start.tzinfo is None or end.tzinfo is None or end < start or start < utcnow() - REPLAY_HORIZON:
        raise problem("from", "The window must have offsets, end after it starts, and start at most 14 days ago.")
    return start, end


@both(router, "POST", "/replay")
async def replay(topic: str, subscription_id: str, request: Request, principal: PrincipalDep, session: SessionDep,
                 temporal: TemporalDep) -> JSONResponse:
    """Start a new attempt series (same ``webhook-id``) for each chosen delivery that is not under way."""
    who = await caller(session, principal, SCOPE, groups_allowed=True)
    _, sub = await load(session, who, topic, subscription_id)
    body = read_object(await read_json(request, required=True))
    chosen = [k for k in ("deliveryIds", "allDeadletters", "from") if body.get(k) not in (None, False)]
    if len(chosen) != 1:
        raise problem("$", "Send exactly one of deliveryIds, allDeadletters: true, or from and to.")
    rows: list[WebhookDelivery]
    if chosen[0] == "deliveryIds":
        ids = body["deliveryIds"]
        if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_REPLAY_IDS:
            raise problem("deliveryIds", f"deliveryIds must be an array of 1 to {MAX_REPLAY_IDS} ids.")
        try:
            wanted = [uuid.UUID(str(i)) for i in ids]
        except ValueError:
            raise problem("deliveryIds", "Every delivery id must be a GUID.") from None
        rows = await webhooks.for_replay(session=session, subscription_id=sub.id, ids=wanted)
    elif chosen[0] == "allDeadletters":
        rows = await webhooks.for_replay(session=session, subscription_id=sub.id, deadlettered=True)
    else:
        rows = await webhooks.for_replay(session=session, subscription_id=sub.id, window=_window(body))
    publisher: Publisher = request.app.state.publisher
    starts = [(row, webhooks.start_replay(row, sub)) for row in rows]
    await session.commit()
    for row, workflow_id in starts:
        try:
            await temporal.start_workflow(
                WEBHOOK_DELIVERY_WORKFLOW,
                DeliveryInput(delivery_id=str(row.id), environment_id=str(who.env), max_attempts=row.max_attempts,
                              series=row.replays, policy=publisher.policy()),
                id=workflow_id, task_queue=publisher.task_queue, id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except RPCError as exc:
            raise ServiceUnavailable(f"the workflow engine is unavailable: {exc.message}") from exc
    return JSONResponse({"replayed": len(starts)}, status_code=202)
