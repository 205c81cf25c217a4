"""Novu's ``/v1/messages``: every delivered message of the environment, listed and deleted."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from api.deps import NativeAuth, SessionDep
from api.errors import NotFound
from api.novu.routes.inbox_common import MAX_PAGE, parse_id
from api.novu.schemas.inbox import DeletedDto, Envelope, MessagesResponse, message_dto, stored_channels
from store import messages

router = APIRouter(prefix="/v1/messages", tags=["messages"])


def _split(values: list[str] | None) -> list[str]:
    # novu-py repeats the parameter (``transactionId=a&transactionId=b``); others join values with commas.
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


@router.get("", response_model=MessagesResponse)
async def list_messages(
    principal: NativeAuth,
    session: SessionDep,
    channel: str | None = None,
    subscriber_id: Annotated[str | None, Query(alias="subscriberId")] = None,
    transaction_id: Annotated[list[str] | None, Query(alias="transactionId")] = None,
    # ``int`` also parses novu-py's ``page=0.0`` and ``limit=10.0``.
    page: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
) -> Any:
    """The environment's messages on every channel, newest first, in 0-based pages; deleted ones are left out."""
    rows, total = await messages.list_messages(
        session=session, environment_id=principal.environment_id,
        channels=stored_channels(channel) if channel else [], subscriber_id=subscriber_id or None,
        transaction_ids=_split(transaction_id), page=page, limit=limit,
    )  # fmt: skip
    flows = await messages.workflows(session=session, environment_id=principal.environment_id, messages=rows)
    org = str(principal.organization_id)
    data = [message_dto(m, organization_id=org, workflow=flows.get(m.workflow_id) if m.workflow_id else None)
            for m in rows]  # fmt: skip
    return MessagesResponse(
        data=data, page=page, page_size=limit, total_count=total, has_more=(page + 1) * limit < total
    )


@router.delete("/{messageId}", response_model=Envelope[DeletedDto])
async def delete_message(
    message_id: Annotated[str, Path(alias="messageId")], principal: NativeAuth, session: SessionDep
) -> Any:
    """Delete one message: it leaves every feed, count and list (the activity feed keeps its history)."""
    key = parse_id(message_id)
    deleted = await messages.soft_delete(
        session=session, environment_id=principal.environment_id, ids=[key]
    ) if key else 0  # fmt: skip
    if not deleted:
        raise NotFound("Message not found")
    await session.commit()
    return Envelope(data=DeletedDto())


@router.delete("/transaction/{transactionId}", status_code=204, response_class=Response)
async def delete_by_transaction(
    transaction_id: Annotated[str, Path(alias="transactionId")],
    principal: NativeAuth,
    session: SessionDep,
    channel: str | None = None,
) -> Response:
    """Delete every message of a transaction, optionally only those on ``channel``."""
    deleted = await messages.soft_delete(
        session=session, environment_id=principal.environment_id, transaction_id=transaction_id,
        channels=stored_channels(channel) if channel else [],
    )  # fmt: skip
    if not deleted:
        raise NotFound("Invalid transactionId or channel")
    await session.commit()
    return Response(status_code=204)
