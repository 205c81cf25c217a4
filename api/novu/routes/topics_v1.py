"""Topics over Novu's v1 routes, as novu 1.14's ``TopicApi`` (and novu-py's membership check) call them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import NativeAuth, SessionDep
from api.errors import BadRequest, Conflict, NotFound
from api.novu.schemas.base import novu_json
from api.novu.schemas.topics import (
    AddedMembersV1Dto,
    AddedMembersV1Envelope,
    CreateTopicV1Dto,
    FailedMembersDto,
    RenameTopicDto,
    TopicDetailV1Dto,
    TopicDetailV1Envelope,
    TopicMembersV1Dto,
    TopicPageV1,
    TopicSubscriberV1Dto,
    TopicSubscriberV1Envelope,
    TopicV1Dto,
    TopicV1Envelope,
)
from api.paging import MAX_PAGE
from store import subscribers as subscriber_store
from store import topics as topic_store
from store.models import Topic

router = APIRouter(prefix="/v1/topics", tags=["topics"])

TopicKey = Annotated[str, Path(alias="topicKey", description="The topic's key")]


def _dto(topic: Topic, principal: Principal) -> dict[str, Any]:
    return novu_json({
        "_id": str(topic.id),
        "_organizationId": str(principal.organization_id),
        "_environmentId": str(topic.environment_id),
        "key": topic.key,
        "name": topic.name,
    })


async def topic_or_404(session: AsyncSession, principal: Principal, key: str) -> Topic:
    topic = await topic_store.get(session=session, environment_id=principal.environment_id, key=key)
    if topic is None:
        raise NotFound("Topic not found")
    return topic


@router.post("", status_code=201, response_model=TopicV1Envelope, response_model_by_alias=True)
async def create_topic_v1(body: CreateTopicV1Dto, principal: NativeAuth, session: SessionDep) -> Any:
    """Create a topic; an existing key is a 409, as in Novu v1 (v2 upserts instead)."""
    topic, created = await topic_store.create(
        session=session, environment_id=principal.environment_id, key=body.key, name=body.name
    )
    if not created:
        await session.rollback()
        raise Conflict(f"Topic exists with key {body.key} in the environment")
    await session.commit()
    return TopicV1Envelope(data=TopicV1Dto.model_validate(_dto(topic, principal)))


@router.get("", response_model=TopicPageV1, response_model_by_alias=True)
async def list_topics_v1(
    principal: NativeAuth,
    session: SessionDep,
    # Numbers may arrive as floats; novu 1.14 sends ``limit`` where Novu documents ``pageSize``.
    page: Annotated[float, Query(ge=0, le=MAX_PAGE)] = 0,
    page_size: Annotated[float | None, Query(alias="pageSize", ge=1, le=100)] = None,
    limit: Annotated[float | None, Query(ge=1, le=100)] = None,
    key: Annotated[str | None, Query(max_length=255)] = None,
) -> Any:
    """One page of topics (top level, not enveloped, as Novu pages), optionally the one with ``key``."""
    size = int(page_size or limit or 10)
    rows, total = await topic_store.search(
        session=session, environment_id=principal.environment_id, key=key, limit=size, offset=int(page) * size
    )
    return TopicPageV1(
        page=int(page), page_size=size, total_count=total,
        data=[TopicV1Dto.model_validate(_dto(row, principal)) for row in rows],
    )


@router.get("/{topicKey}", response_model=TopicDetailV1Envelope, response_model_by_alias=True)
async def get_topic_v1(topic_key: TopicKey, principal: NativeAuth, session: SessionDep) -> Any:
    """A topic with the subscriberIds of its members."""
    topic = await topic_or_404(session, principal, topic_key)
    members = await topic_store.member_ids(session=session, environment_id=principal.environment_id, topic_id=topic.id)
    detail = TopicDetailV1Dto.model_validate({**_dto(topic, principal), "subscribers": members})
    return TopicDetailV1Envelope(data=detail)


@router.patch("/{topicKey}", response_model=TopicV1Envelope, response_model_by_alias=True)
async def rename_topic_v1(topic_key: TopicKey, body: RenameTopicDto, principal: NativeAuth, session: SessionDep) -> Any:
    """Rename a topic."""
    topic = await topic_or_404(session, principal, topic_key)
    await topic_store.rename(session=session, topic=topic, name=body.name)
    await session.commit()
    return TopicV1Envelope(data=TopicV1Dto.model_validate(_dto(topic, principal)))


@router.delete("/{topicKey}", status_code=204, response_class=Response)
async def delete_topic_v1(topic_key: TopicKey, principal: NativeAuth, session: SessionDep) -> Response:
    """Delete a topic that has no subscribers left (409 otherwise, as in Novu v1)."""
    topic = await topic_or_404(session, principal, topic_key)
    if await topic_store.has_members(session=session, environment_id=principal.environment_id, topic_id=topic.id):
        raise Conflict("The topic can't be deleted as it still has subscribers assigned")
    await topic_store.delete(session=session, environment_id=principal.environment_id, topic_id=topic.id)
    await session.commit()
    return Response(status_code=204)


@router.post(
    "/{topicKey}/subscribers",
    response_model=AddedMembersV1Envelope,
    response_model_by_alias=True,
    response_model_exclude_none=True,
)
async def add_topic_subscribers_v1(
    topic_key: TopicKey, body: TopicMembersV1Dto, principal: NativeAuth, session: SessionDep
) -> Any:
    """Add existing subscribers; unknown ones come back under ``failed.notFound``. A missing topic is created."""
    env = principal.environment_id
    if len(topic_key) > 255:  # the topic may be created from the path's key
        raise BadRequest("Topic key is too long", field_errors={"topicKey": "at most 255 characters"})
    topic, _ = await topic_store.create(session=session, environment_id=env, key=topic_key,
                                        name=f"Autogenerated-{topic_key}")
    wanted = list(dict.fromkeys(body.subscribers))
    found = await subscriber_store.get_many(session=session, environment_id=env, subscriber_ids=wanted)
    await topic_store.add_members(
        session=session, environment_id=env, topic_id=topic.id, subscriber_pks=[s.id for s in found.values()]
    )
    await session.commit()
    missing = [sid for sid in wanted if sid not in found]
    return AddedMembersV1Envelope(data=AddedMembersV1Dto(
        succeeded=[sid for sid in wanted if sid in found],
        failed=FailedMembersDto(not_found=missing) if missing else None,
    ))


@router.post("/{topicKey}/subscribers/removal", status_code=204, response_class=Response)
async def remove_topic_subscribers_v1(
    topic_key: TopicKey, body: TopicMembersV1Dto, principal: NativeAuth, session: SessionDep
) -> Response:
    """Remove subscribers from a topic; ones that are not members are ignored."""
    topic = await topic_or_404(session, principal, topic_key)
    found = await subscriber_store.get_many(
        session=session, environment_id=principal.environment_id, subscriber_ids=body.subscribers
    )
    await topic_store.remove_members(
        session=session, environment_id=principal.environment_id, topic_id=topic.id,
        subscriber_pks=[s.id for s in found.values()],
    )
    await session.commit()
    return Response(status_code=204)


@router.get(
    "/{topicKey}/subscribers/{externalSubscriberId}",
    response_model=TopicSubscriberV1Envelope,
    response_model_by_alias=True,
)
async def check_topic_subscriber_v1(
    topic_key: TopicKey,
    subscriber_id: Annotated[str, Path(alias="externalSubscriberId", description="The subscriberId")],
    principal: NativeAuth,
    session: SessionDep,
) -> Any:
    """The membership of one subscriber in a topic; 404 when they are not a member."""
    env = principal.environment_id
    topic = await topic_or_404(session, principal, topic_key)
    subscriber = await subscriber_store.get(session=session, environment_id=env, subscriber_id=subscriber_id)
    member = subscriber is not None and bool(
        await topic_store.memberships(session=session, environment_id=env, topic_id=topic.id,
                                      subscriber_pks=[subscriber.id])
    )
    if subscriber is None or not member:
        raise NotFound("The subscriber is not a member of this topic")
    return TopicSubscriberV1Envelope(data=TopicSubscriberV1Dto.model_validate({
        "_organizationId": str(principal.organization_id),
        "_environmentId": str(env),
        "_subscriberId": str(subscriber.id),
        "_topicId": str(topic.id),
        "topicKey": topic.key,
        "externalSubscriberId": subscriber.subscriber_id,
    }))
