"""Topics and their subscriptions over Novu's v2 routes, as novu-py's ``topics`` calls them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import NativeAuth, SessionDep
from api.errors import BadRequest, Conflict
from api.novu.routes.topics_v1 import TopicKey, topic_or_404
from api.novu.schemas.topics import (
    TOPIC_KEY_RULE,
    CreateTopicDto,
    DeletedDto,
    DeletedEnvelope,
    MetaDto,
    RenameTopicDto,
    SubscriptionDto,
    SubscriptionErrorDto,
    SubscriptionListDto,
    SubscriptionsRequestDto,
    SubscriptionsResultDto,
    TopicDto,
    TopicEnvelope,
    TopicListDto,
    valid_topic_key,
)
from api.novu.views.subscribers import stamp
from store import subscribers as subscriber_store
from store import topics as topic_store
from store.models import Subscriber, Topic, TopicSubscriber

router = APIRouter(prefix="/v2/topics", tags=["topics"])

# novu-py sends numbers as floats (``limit=10.0``).
Limit = Annotated[float, Query(ge=1, le=100)]
Direction = Annotated[Literal["ASC", "DESC"], Query(alias="orderDirection")]
IncludeCursor = Annotated[bool, Query(alias="includeCursor")]


def _topic(topic: Topic) -> TopicDto:
    return TopicDto.model_validate({
        "_id": str(topic.id), "key": topic.key, "name": topic.name,
        "createdAt": stamp(topic.created_at), "updatedAt": stamp(topic.updated_at),
    })


def _identifier(topic: Topic, subscriber_id: str) -> str:
    # Clarion stores no per-subscription identifier; this derived one is stable and reversible.
    return f"tk_{topic.key}:si_{subscriber_id}"


def _subscription(topic: Topic, membership: TopicSubscriber, subscriber: Subscriber) -> SubscriptionDto:
    return SubscriptionDto.model_validate({
        "_id": str(membership.id),
        "identifier": _identifier(topic, subscriber.subscriber_id),
        "topic": _topic(topic),
        "subscriber": {
            "_id": str(subscriber.id), "subscriberId": subscriber.subscriber_id, "avatar": subscriber.avatar,
            "firstName": subscriber.first_name, "lastName": subscriber.last_name, "email": subscriber.email,
        },
        "createdAt": stamp(membership.created_at),
        "updatedAt": stamp(membership.created_at),
    })


def _cursor(after: str | None, before: str | None, include: bool) -> topic_store.Cursor:
    if after is not None and before is not None:
        raise BadRequest("Send either after or before, not both", field_errors={"before": "conflicts with after"})
    return topic_store.Cursor(anchor=after if after is not None else before, backwards=before is not None,
                              inclusive=include)


def _bad_cursor(exc: topic_store.BadCursor, after: str | None) -> BadRequest:
    field = "after" if after is not None else "before"
    return BadRequest("Unknown cursor", field_errors={field: "names no item of this listing"})


def _page_links(page: topic_store.Page, id_of: Any) -> tuple[str | None, str | None]:
    if not page.rows:
        return None, None
    return (id_of(page.rows[-1]) if page.has_after else None, id_of(page.rows[0]) if page.has_before else None)


@router.post("", status_code=201, response_model=TopicEnvelope, response_model_by_alias=True)
async def create_topic_v2(
    body: CreateTopicDto,
    principal: NativeAuth,
    session: SessionDep,
    response: Response,
    fail_if_exists: Annotated[bool, Query(alias="failIfExists")] = False,
) -> Any:
    """Create a topic, or rename the existing one with that key (201 created, 200 existing)."""
    topic, created = await topic_store.create(
        session=session, environment_id=principal.environment_id, key=body.key, name=body.name
    )
    if not created:
        if fail_if_exists:
            # novu-py parses this 409's body as the existing topic (read before the rollback expires it).
            existing = {"_id": str(topic.id), "key": topic.key, "name": topic.name}
            await session.rollback()
            raise Conflict(f"Topic with key {body.key} already exists", extra=existing)
        if body.name is not None and body.name != topic.name:
            await topic_store.rename(session=session, topic=topic, name=body.name)
        response.status_code = 200
    await session.commit()
    return TopicEnvelope(data=_topic(topic))


@router.get("", response_model=TopicListDto, response_model_by_alias=True)
async def list_topics_v2(
    principal: NativeAuth,
    session: SessionDep,
    after: str | None = None,
    before: str | None = None,
    limit: Limit = 10,
    order_direction: Direction = "DESC",
    # Novu's ids grow with time; Clarion's are random, so ``_id`` order means creation order here.
    order_by: Annotated[Literal["createdAt", "updatedAt", "_id"], Query(alias="orderBy")] = "createdAt",
    include_cursor: IncludeCursor = False,
    key: Annotated[str | None, Query(max_length=255)] = None,
    name: Annotated[str | None, Query(max_length=255)] = None,
) -> Any:
    """A cursor page of topics (top level, as Novu pages), filtered by key or name substrings."""
    try:
        page = await topic_store.page(
            session=session, environment_id=principal.environment_id, cursor=_cursor(after, before, include_cursor),
            limit=int(limit), descending=order_direction == "DESC",
            order_by="updatedAt" if order_by == "updatedAt" else "createdAt", key=key, name=name,
        )
    except topic_store.BadCursor as exc:
        raise _bad_cursor(exc, after) from exc
    following, preceding = _page_links(page, lambda row: str(row[0].id))
    return TopicListDto(data=[_topic(row[0]) for row in page.rows], next=following, previous=preceding,
                        total_count=page.total, total_count_capped=False)


@router.get("/{topicKey}", response_model=TopicEnvelope, response_model_by_alias=True)
async def get_topic_v2(topic_key: TopicKey, principal: NativeAuth, session: SessionDep) -> Any:
    """One topic by key."""
    return TopicEnvelope(data=_topic(await topic_or_404(session, principal, topic_key)))


@router.patch("/{topicKey}", response_model=TopicEnvelope, response_model_by_alias=True)
async def update_topic_v2(topic_key: TopicKey, body: RenameTopicDto, principal: NativeAuth, session: SessionDep) -> Any:
    """Rename a topic."""
    topic = await topic_or_404(session, principal, topic_key)
    await topic_store.rename(session=session, topic=topic, name=body.name)
    await session.commit()
    return TopicEnvelope(data=_topic(topic))


@router.delete("/{topicKey}", response_model=DeletedEnvelope, response_model_by_alias=True)
async def delete_topic_v2(topic_key: TopicKey, principal: NativeAuth, session: SessionDep) -> Any:
    """Delete a topic and its subscriptions (v2 does not require it to be empty, unlike v1)."""
    topic = await topic_or_404(session, principal, topic_key)
    await topic_store.delete(session=session, environment_id=principal.environment_id, topic_id=topic.id)
    await session.commit()
    return DeletedEnvelope(data=DeletedDto(acknowledged=True))


def _named(body: SubscriptionsRequestDto, topic_key: str, *, creating: bool) -> list[tuple[str, str | None]]:
    """(what the client named, the subscriberId it stands for or None), in order, without repeats."""
    prefix = f"tk_{topic_key}:si_"
    names: list[tuple[str, str | None]] = [(sid, sid) for sid in body.subscriber_ids or []]
    for index, item in enumerate(body.subscriptions or []):
        if isinstance(item, str):
            names.append((item, item))
        elif item.subscriber_id:
            names.append((item.subscriber_id, item.subscriber_id))
        elif item.identifier and not creating:
            # Only derived identifiers name a subscription of this topic (see ``_identifier``).
            named = item.identifier.removeprefix(prefix) if item.identifier.startswith(prefix) else None
            names.append((item.identifier, named))
        else:
            raise BadRequest("Each subscription needs a subscriberId",
                             field_errors={f"subscriptions.{index}.subscriberId": "is required"})
    unique = list(dict.fromkeys(names))
    if not unique or len(unique) > 100:
        raise BadRequest("Send 1 to 100 subscribers in subscriberIds or subscriptions",
                         field_errors={"subscriptions": "must name 1 to 100 subscribers"})
    return unique


async def _members(session: AsyncSession, principal: Principal, ids: list[str]) -> dict[str, Subscriber]:
    return await subscriber_store.get_many(session=session, environment_id=principal.environment_id, subscriber_ids=ids)


@router.post("/{topicKey}/subscriptions", status_code=201, response_model=SubscriptionsResultDto,
             response_model_by_alias=True)
async def create_topic_subscriptions_v2(
    topic_key: TopicKey, body: SubscriptionsRequestDto, principal: NativeAuth, session: SessionDep
) -> Any:
    """Subscribe existing subscribers (a missing topic is created); unknown ones are listed in ``errors``."""
    ids = [sid for _, sid in _named(body, topic_key, creating=True) if sid is not None]
    if not valid_topic_key(topic_key):  # the topic may be created from the path's key
        raise BadRequest("Invalid topic key", field_errors={"topicKey": TOPIC_KEY_RULE})
    topic, _ = await topic_store.create(
        session=session, environment_id=principal.environment_id, key=topic_key, name=body.name
    )
    found = await _members(session, principal, ids)
    joined = await topic_store.add_members(
        session=session, environment_id=principal.environment_id, topic_id=topic.id,
        subscriber_pks=[s.id for s in found.values()],
    )
    await session.commit()
    data = [_subscription(topic, joined[found[sid].id], found[sid]) for sid in ids if sid in found]
    errors = [SubscriptionErrorDto(subscriber_id=sid, code="SUBSCRIBER_NOT_FOUND",
                                   message=f"Subscriber with id: {sid} not found") for sid in ids if sid not in found]
    return SubscriptionsResultDto(
        data=data, meta=MetaDto(total_count=len(ids), successful=len(data), failed=len(errors)), errors=errors or None
    )


@router.get("/{topicKey}/subscriptions", response_model=SubscriptionListDto, response_model_by_alias=True)
async def list_topic_subscriptions_v2(
    topic_key: TopicKey,
    principal: NativeAuth,
    session: SessionDep,
    after: str | None = None,
    before: str | None = None,
    limit: Limit = 10,
    order_direction: Direction = "DESC",
    include_cursor: IncludeCursor = False,
    subscriber_id: Annotated[str | None, Query(alias="subscriberId", max_length=255)] = None,
) -> Any:
    """A cursor page of a topic's subscriptions (top level, as Novu pages)."""
    topic = await topic_or_404(session, principal, topic_key)
    try:
        page = await topic_store.members_page(
            session=session, environment_id=principal.environment_id, topic_id=topic.id,
            cursor=_cursor(after, before, include_cursor), limit=int(limit),
            descending=order_direction == "DESC", subscriber_id=subscriber_id,
        )
    except topic_store.BadCursor as exc:
        raise _bad_cursor(exc, after) from exc
    following, preceding = _page_links(page, lambda row: str(row[0].id))
    return SubscriptionListDto(
        data=[_subscription(topic, membership, subscriber) for membership, subscriber in page.rows],
        next=following, previous=preceding, total_count=page.total, total_count_capped=False,
    )


@router.delete("/{topicKey}/subscriptions", response_model=SubscriptionsResultDto, response_model_by_alias=True)
async def delete_topic_subscriptions_v2(
    topic_key: TopicKey, body: SubscriptionsRequestDto, principal: NativeAuth, session: SessionDep
) -> Any:
    """Unsubscribe subscribers; ones that are not members are listed in ``errors``."""
    named = _named(body, topic_key, creating=False)
    ids = [sid for _, sid in named if sid is not None]
    topic = await topic_or_404(session, principal, topic_key)
    found = await _members(session, principal, ids)
    current = await topic_store.memberships(
        session=session, environment_id=principal.environment_id, topic_id=topic.id,
        subscriber_pks=[s.id for s in found.values()],
    )
    gone = [sid for sid in ids if sid in found and found[sid].id in current]
    data = [_subscription(topic, current[found[sid].id], found[sid]) for sid in gone]
    await topic_store.remove_members(
        session=session, environment_id=principal.environment_id, topic_id=topic.id,
        subscriber_pks=[found[sid].id for sid in gone],
    )
    await session.commit()
    errors = [SubscriptionErrorDto(subscriber_id=label, code="SUBSCRIPTION_NOT_FOUND",
                                   message=f"{label} has no subscription to this topic")
              for label, sid in named if sid is None or sid not in gone]
    return SubscriptionsResultDto(
        data=data, meta=MetaDto(total_count=len(named), successful=len(data), failed=len(errors)),
        errors=errors or None,
    )
