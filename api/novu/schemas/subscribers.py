"""Request and response bodies of Novu's subscriber routes, as novu-py 3.19 and novu 1.14 use them.

novu 1.14 sends ``null`` for every unset field and echoes channel entries it read with snake_case
keys (``provider_id``, ``credentials.webhook_url``); ``populate_by_name`` accepts those, and the
routes treat ``null`` as "not sent" everywhere except a v2 PATCH, where it clears the field.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.novu.schemas.base import NovuResponse, Nullable
from core.email_address import EmailAddress

# Novu's chat and push providers (novu-py's closed ChatOrPushProviderEnum): the SDK refuses to
# parse a subscriber whose channel names any other id, so other ids are refused on the way in.
ProviderId = Literal[
    "slack", "discord", "msteams", "webex-messaging", "mattermost", "ryver", "zulip", "grafana-on-call",
    "getstream", "rocket-chat", "whatsapp-business", "line", "chat-webhook", "novu-slack", "telegram",
    "sendblue", "novu-web-chat", "fcm", "apns", "expo", "one-signal", "pushpad", "push-webhook",
    "pusher-beams", "appio",
]
PROFILE_COLUMNS = frozenset(
    {"first_name", "last_name", "email", "phone", "avatar", "locale", "timezone", "data", "audiences"}
)


def _storable(value: Any) -> bool:
    # PostgreSQL refuses NUL in text and JSONB, and NaN/Infinity in JSONB: a 422 beats a 500.
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    return True


class StorableBody(BaseModel):
    """A request body whose values PostgreSQL can store; unknown fields are ignored."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _no_unstorable_values(cls, value: Any) -> Any:
        if not _storable(value):
            raise ValueError("strings must not contain NUL characters and numbers must be finite")
        return value


class CredentialsDto(StorableBody):
    """Credentials for one provider: a chat webhook URL, push device tokens, ..."""

    webhook_url: str | None = Field(None, alias="webhookUrl", max_length=2048)
    channel: str | None = Field(None, max_length=255)
    device_tokens: list[str] | None = Field(None, alias="deviceTokens", max_length=1000)
    alert_uid: str | None = Field(None, alias="alertUid", max_length=255)
    title: str | None = Field(None, max_length=255)
    image_url: str | None = Field(None, alias="imageUrl", max_length=2048)
    state: str | None = Field(None, max_length=255)
    external_url: str | None = Field(None, alias="externalUrl", max_length=2048)


class ChannelDto(StorableBody):
    """One channel entry; ``credentials: null`` (a novu 1.14 echo) counts as empty."""

    provider_id: ProviderId = Field(alias="providerId")
    integration_identifier: str | None = Field(None, alias="integrationIdentifier", max_length=255)
    credentials: CredentialsDto | None = None


class UpdateCredentialsDto(ChannelDto):
    credentials: CredentialsDto


class OnlineStatusDto(StorableBody):
    is_online: bool = Field(alias="isOnline")


class ProfileDto(StorableBody):
    first_name: str | None = Field(None, alias="firstName", max_length=255)
    last_name: str | None = Field(None, alias="lastName", max_length=255)
    email: EmailAddress | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=64)
    avatar: str | None = Field(None, max_length=2048)
    locale: str | None = Field(None, max_length=32)
    timezone: str | None = Field(None, max_length=64)
    data: dict[str, Any] | None = None
    # Clarion extension (event-apis.md §1.4): the audiences this subscriber receives published events for.
    audiences: list[str] | None = Field(None, max_length=20)

    def sent(self) -> dict[str, Any]:
        """The non-null profile fields, by store column name."""
        return self.model_dump(include=set(PROFILE_COLUMNS), exclude_none=True)

    def patched(self) -> dict[str, Any]:
        """Every field the client named, ``null`` included (it clears the field; data becomes ``{}``)."""
        values = self.model_dump(include=self.model_fields_set & PROFILE_COLUMNS)
        if "data" in values and values["data"] is None:
            values["data"] = {}
        return values


class CreateSubscriberDto(ProfileDto):
    """``POST /v1/subscribers``, ``POST /v2/subscribers`` and each entry of a bulk create."""

    subscriber_id: str = Field(alias="subscriberId", min_length=1, max_length=255, pattern=r"\S")
    channels: list[ChannelDto] | None = Field(None, max_length=100)


class UpdateSubscriberDto(ProfileDto):
    """``PUT /v1/subscribers/{subscriberId}``; a ``subscriberId`` in the body is ignored."""

    channels: list[ChannelDto] | None = Field(None, max_length=100)


class BulkCreateDto(BaseModel):
    # Entries are checked one by one, so that one bad entry fails alone (see the route).
    subscribers: list[Any]


class _Out(NovuResponse):
    model_config = ConfigDict(populate_by_name=True)


class CredentialsOut(_Out):
    # Unconstrained: what older code stored must still render rather than fail the response.
    webhook_url: str | None = Field(None, alias="webhookUrl")
    channel: str | None = None
    device_tokens: list[str] | None = Field(None, alias="deviceTokens")
    alert_uid: str | None = Field(None, alias="alertUid")
    title: str | None = None
    image_url: str | None = Field(None, alias="imageUrl")
    state: str | None = None
    external_url: str | None = Field(None, alias="externalUrl")


class ChannelSettingsDto(_Out):
    provider_id: str = Field(alias="providerId")
    integration_identifier: str | None = Field(None, alias="integrationIdentifier")
    # Required by both SDKs; Clarion has no integration records to point at, so it is empty.
    integration_id: str = Field("", alias="_integrationId")
    credentials: CredentialsOut


class SubscriberResponseDto(_Out):
    id: str = Field(alias="_id")
    subscriber_id: str = Field(alias="subscriberId")
    first_name: str | None = Field(None, alias="firstName")
    last_name: str | None = Field(None, alias="lastName")
    email: str | None = None
    phone: str | None = None
    avatar: str | None = None
    locale: str | None = None
    timezone: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    channels: list[ChannelSettingsDto] = Field(default_factory=list)
    # Clarion extension (event-apis.md §1.4): the audiences of published events this subscriber gets.
    audiences: list[str] = Field(default_factory=list)
    is_online: bool = Field(False, alias="isOnline")
    last_online_at: str | None = Field(None, alias="lastOnlineAt")
    deleted: bool = False
    organization_id: str = Field(alias="_organizationId")
    environment_id: str = Field(alias="_environmentId")
    created_at: str = Field(alias="createdAt")
    updated_at: str = Field(alias="updatedAt")


class SubscriberEnvelope(NovuResponse):
    data: SubscriberResponseDto


class SubscriberPageResponse(_Out):
    """Novu's v1 offset page, at the top level (not enveloped)."""

    data: list[SubscriberResponseDto]
    page: int
    page_size: int = Field(alias="pageSize")
    total_count: int = Field(alias="totalCount")
    has_more: bool = Field(alias="hasMore")


class SubscriberSearchResponse(_Out):
    """Novu's v2 cursor page, at the top level; ``next``/``previous`` feed ``after``/``before``."""

    data: list[SubscriberResponseDto]
    next: Nullable[str]
    previous: Nullable[str]
    total_count: int = Field(alias="totalCount")
    total_count_capped: bool = Field(alias="totalCountCapped")


class SubscriberRef(_Out):
    subscriber_id: str = Field(alias="subscriberId")


class FailedSubscriber(_Out):
    subscriber_id: str | None = Field(None, alias="subscriberId")
    message: str


class BulkCreateResult(_Out):
    created: list[SubscriberRef]
    updated: list[SubscriberRef]
    failed: list[FailedSubscriber]


class BulkCreateEnvelope(NovuResponse):
    data: BulkCreateResult


class DeletedDto(NovuResponse):
    acknowledged: bool = True
    status: Literal["deleted"] = "deleted"


class DeletedEnvelope(NovuResponse):
    data: DeletedDto = Field(default_factory=DeletedDto)
