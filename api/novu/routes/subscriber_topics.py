"""Novu's ``GET /v2/subscribers/{subscriberId}/subscriptions``: the topics a subscriber belongs to.

Each item is the same subscription object ``/v2/topics/{key}/subscriptions`` answers (one
membership, its topic and the subscriber), paged by the same membership cursor.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.deps import NativeAuth, SessionDep
from api.novu.routes.topics_v2 import Direction, IncludeCursor, Limit, _bad_cursor, _cursor, _page_links, _subscription
from api.novu.schemas.topics import SubscriptionListDto
from api.novu.views.subscribers import subscriber_or_404
from store import subscriber_topics
from store.topics import BadCursor

router = APIRouter(prefix="/v2/subscribers", tags=["subscribers"])


@router.get("/{subscriberId}/subscriptions", response_model=SubscriptionListDto, response_model_by_alias=True)
async def list_subscriber_subscriptions(
    subscriber_id: Annotated[str, Path(alias="subscriberId")],
    principal: NativeAuth,
    session: SessionDep,
    after: str | None = None,
    before: str | None = None,
    limit: Limit = 10,
    order_direction: Direction = "DESC",
    include_cursor: IncludeCursor = False,
    key: Annotated[str | None, Query(max_length=255, description="only this topic")] = None,
) -> Any:
    """A cursor page of the subscriber's topic subscriptions (top level, as Novu pages)."""
    subscriber = await subscriber_or_404(session, principal, subscriber_id)
    try:
        page = await subscriber_topics.page(
            session=session, environment_id=principal.environment_id, subscriber_pk=subscriber.id,
            cursor=_cursor(after, before, include_cursor), limit=int(limit),
            descending=order_direction == "DESC", topic_key=key,
        )
    except BadCursor as exc:
        raise _bad_cursor(exc, after) from exc
    following, preceding = _page_links(page, lambda row: str(row[0].id))
    return SubscriptionListDto(
        data=[_subscription(topic, membership, subscriber) for membership, topic in page.rows],
        next=following, previous=preceding, total_count=page.total, total_count_capped=False,
    )
