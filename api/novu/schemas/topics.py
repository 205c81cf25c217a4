"""Bodies of the topic routes: v1 as novu 1.14's ``TopicApi`` uses them, v2 as novu-py 3.19's ``topics``."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.novu.schemas.base import NovuResponse, Nullable

# Novu v2: letters, digits, ``-``, ``_``, ``:``, or an e-mail address.
_V2_KEY = re.compile(r"^(?:[A-Za-z0-9_:\-]+|[^@\s/]+@[^@\s/]+\.[^@\s/]+)$")
TOPIC_KEY_RULE = "only letters, digits, '-', '_', ':' or an e-mail address, at most 255 characters"


def valid_topic_key(value: str) -> bool:
    return len(value) <= 255 and _V2_KEY.match(value) is not None


class _Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class _Out(NovuResponse):
    """A response body: absent optional values are left out (``api.novu.schemas.base``)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")


# ---- v1 -------------------------------------------------------------------------------------


class CreateTopicV1Dto(_Camel):
    key: str = Field(min_length=1, max_length=255, pattern=r"^[^/]+$")
    name: str = Field(min_length=1, max_length=255)


class RenameTopicDto(_Camel):
    name: str = Field(min_length=1, max_length=255)


class TopicMembersV1Dto(_Camel):
    subscribers: list[str] = Field(min_length=1, max_length=100)


class TopicV1Dto(_Out):
    id: str = Field(alias="_id")
    organization_id: str = Field(alias="_organizationId")
    environment_id: str = Field(alias="_environmentId")
    key: str
    name: str | None = None


class TopicDetailV1Dto(TopicV1Dto):
    subscribers: list[str]


class TopicV1Envelope(NovuResponse):
    data: TopicV1Dto


class TopicDetailV1Envelope(NovuResponse):
    data: TopicDetailV1Dto


class TopicPageV1(_Out):
    page: int
    page_size: int = Field(alias="pageSize")
    total_count: int = Field(alias="totalCount")
    data: list[TopicV1Dto]


class FailedMembersDto(_Out):
    not_found: list[str] = Field(alias="notFound")


class AddedMembersV1Dto(_Out):
    succeeded: list[str]
    failed: FailedMembersDto | None = None


class AddedMembersV1Envelope(NovuResponse):
    data: AddedMembersV1Dto


class TopicSubscriberV1Dto(_Out):
    organization_id: str = Field(alias="_organizationId")
    environment_id: str = Field(alias="_environmentId")
    subscriber_id: str = Field(alias="_subscriberId")
    topic_id: str = Field(alias="_topicId")
    topic_key: str = Field(alias="topicKey")
    external_subscriber_id: str = Field(alias="externalSubscriberId")


class TopicSubscriberV1Envelope(NovuResponse):
    data: TopicSubscriberV1Dto


# ---- v2 -------------------------------------------------------------------------------------


class CreateTopicDto(_Camel):
    key: str = Field(min_length=1, max_length=255)
    name: str | None = Field(None, max_length=255)

    @field_validator("key")
    @classmethod
    def _key_shape(cls, value: str) -> str:
        if not valid_topic_key(value):
            raise ValueError(TOPIC_KEY_RULE)
        return value


class TopicDto(_Out):
    id: str = Field(alias="_id")
    key: str
    name: str | None = None
    created_at: str = Field(alias="createdAt")
    updated_at: str = Field(alias="updatedAt")


class TopicEnvelope(NovuResponse):
    data: TopicDto


class TopicListDto(_Out):
    data: list[TopicDto]
    next: Nullable[str]
    previous: Nullable[str]
    total_count: int = Field(alias="totalCount")
    total_count_capped: bool = Field(alias="totalCountCapped")


class DeletedDto(_Out):
    acknowledged: bool


class DeletedEnvelope(NovuResponse):
    data: DeletedDto


class SubscriptionRefDto(_Camel):
    identifier: str | None = Field(None, max_length=255)
    subscriber_id: str | None = Field(None, alias="subscriberId", max_length=255)


class SubscriptionsRequestDto(_Camel):
    """Subscribers named by ``subscriberIds`` (deprecated in Novu) or ``subscriptions``."""

    subscriber_ids: list[str] | None = Field(None, alias="subscriberIds", max_length=100)
    subscriptions: list[str | SubscriptionRefDto] | None = Field(None, max_length=100)
    name: str | None = Field(None, max_length=255)


class SubscriberBriefDto(_Out):
    id: str = Field(alias="_id")
    subscriber_id: str = Field(alias="subscriberId")
    avatar: str | None = None
    first_name: str | None = Field(None, alias="firstName")
    last_name: str | None = Field(None, alias="lastName")
    email: str | None = None


class SubscriptionDto(_Out):
    id: str = Field(alias="_id")
    identifier: str
    topic: TopicDto
    subscriber: Nullable[SubscriberBriefDto]
    created_at: str = Field(alias="createdAt")
    updated_at: str = Field(alias="updatedAt")


class SubscriptionErrorDto(_Out):
    subscriber_id: str = Field(alias="subscriberId")
    code: str
    message: str


class MetaDto(_Out):
    total_count: int = Field(alias="totalCount")
    successful: int
    failed: int


class SubscriptionsResultDto(_Out):
    data: list[SubscriptionDto]
    meta: MetaDto
    errors: list[SubscriptionErrorDto] | None = None


class SubscriptionListDto(_Out):
    data: list[SubscriptionDto]
    next: Nullable[str]
    previous: Nullable[str]
    total_count: int = Field(alias="totalCount")
    total_count_capped: bool = Field(alias="totalCountCapped")
