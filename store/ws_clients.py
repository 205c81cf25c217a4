"""The WebSocket client registry shared by API nodes, plus the liveness checks of open sockets.

Each node rewrites its own rows every few seconds; a row not refreshed for ``STALE_SECONDS`` belongs
to a node that is gone and is ignored (and purged by the next node that refreshes).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.models import ApiKey, Subscriber, WsClient
from store.session_tokens import is_live

STALE_SECONDS = 60


async def replace_node(*, session: AsyncSession, node: str, rows: Sequence[dict[str, Any]]) -> None:
    """Make the node's rows exactly ``rows``; drop rows of nodes silent for too long."""
    now = utcnow()
    await session.execute(delete(WsClient).where(WsClient.node == node))
    await session.execute(delete(WsClient).where(WsClient.refreshed_at < now - timedelta(seconds=STALE_SECONDS)))
    for row in rows:
        session.add(WsClient(**row, node=node, refreshed_at=now))


async def put(*, session: AsyncSession, node: str, row: Mapping[str, Any]) -> None:
    """Write one socket's row for ``node``, replacing the row it had."""
    await remove(session=session, client_id=row["client_id"])
    session.add(WsClient(**row, node=node, refreshed_at=utcnow()))


async def remove(*, session: AsyncSession, client_id: str) -> None:
    await session.execute(delete(WsClient).where(WsClient.client_id == client_id))


def _live() -> Any:
    return WsClient.refreshed_at >= utcnow() - timedelta(seconds=STALE_SECONDS)


async def list_for(*, session: AsyncSession, environment_id: uuid.UUID) -> list[WsClient]:
    rows = await session.scalars(
        select(WsClient).where(WsClient.environment_id == environment_id, _live()).order_by(WsClient.connected_at)
    )
    return list(rows)


async def get(*, session: AsyncSession, client_id: str) -> WsClient | None:
    return await session.scalar(select(WsClient).where(WsClient.client_id == client_id, _live()))


async def set_subscriptions(*, session: AsyncSession, client_id: str, subscriptions: list[str]) -> None:
    await session.execute(update(WsClient).where(WsClient.client_id == client_id).values(subscriptions=subscriptions))


async def key_is_live(*, session: AsyncSession, key_id: uuid.UUID) -> bool:
    row = await session.get(ApiKey, key_id, populate_existing=True)
    return row is not None and row.revoked_at is None


async def subscriber_token_is_live(
    *, session: AsyncSession, token_id: uuid.UUID, environment_id: uuid.UUID, subscriber_id: str
) -> bool:
    """The token is neither expired nor revoked, and its subscriber still exists."""
    if not await is_live(session=session, token_id=token_id):
        return False
    found = await session.scalar(
        select(Subscriber.id)
        .where(Subscriber.environment_id == environment_id, Subscriber.subscriber_id == subscriber_id)
    )
    return found is not None
