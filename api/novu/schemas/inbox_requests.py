"""Request bodies and filters of the v1 feed and the v2 inbox, as Novu's SDKs send them."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from store.message_filters import FeedFilter, leaves

MarkAs = Literal["read", "seen", "unread", "unseen"]
Severity = Literal["high", "medium", "low", "none"]

# markAs of Novu's v1 mark-as and mark-all: which flags it sets, and the state a message must be in to change.
V1_MARKS: dict[str, dict[str, bool]] = {
    "read": {"read": True, "seen": True},
    "unread": {"read": False, "seen": True},
    "seen": {"seen": True},
    "unseen": {"seen": False},
}
V1_CHANGES_ONLY: dict[str, FeedFilter] = {
    "read": FeedFilter(read=False), "unread": FeedFilter(read=True),
    "seen": FeedFilter(seen=False), "unseen": FeedFilter(seen=True),
}  # fmt: skip
# Novu's v2 rule: archiving implies read, reading implies seen, and undoing a state undoes those above it.
INBOX_MARKS: dict[str, dict[str, bool]] = {
    "seen": {"seen": True},
    "unseen": {"seen": False, "read": False, "archived": False},
    "read": {"seen": True, "read": True},
    "unread": {"seen": True, "read": False, "archived": False},
    "archive": {"seen": True, "read": True, "archived": True},
    "unarchive": {"seen": True, "read": True, "archived": False},
}


class _Body(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class MarkAsBody(_Body):
    """``POST /v1/subscribers/{id}/messages/mark-as`` (novu-py's ``mark_all_as``)."""

    message_id: str | list[str] = Field(alias="messageId")
    mark_as: MarkAs = Field(alias="markAs")


class MarkFlags(_Body):
    seen: bool | None = None
    read: bool | None = None


class LegacyMarkAsBody(_Body):
    """``POST /v1/subscribers/{id}/messages/markAs`` (novu 1.14's ``mark_as``): the flags to set, as given."""

    message_id: str | list[str] = Field(alias="messageId")
    mark: MarkFlags = Field(default_factory=MarkFlags)


class MarkAllBody(_Body):
    mark_as: MarkAs = Field(alias="markAs")
    # Clarion has no feeds, so every in-app message belongs to the one feed; the identifier is accepted and ignored.
    feed_identifier: str | list[str] | None = Field(default=None, alias="feedIdentifier")


class ActionBody(_Body):
    status: Literal["pending", "done"]
    payload: dict[str, Any] | None = None


_TAGS_SHAPE = 'tags must be a list of strings or {"and": [{"or": [...]}, ...]}'


def _strings(value: Any) -> list[str]:
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return value
    raise ValueError(_TAGS_SHAPE)


def tag_groups(tags: Any) -> list[list[str]]:
    """Novu's tags filter in conjunctive form: ``[a, b]`` is a or b; ``{"and": [{"or": [a, b]}, {"or": [c]}]}``."""
    if tags is None:
        return []
    if isinstance(tags, dict) and set(tags) == {"or"}:
        tags = tags["or"]
    if isinstance(tags, list):
        return [group] if (group := _strings(tags)) else []
    if not (isinstance(tags, dict) and set(tags) == {"and"} and isinstance(tags["and"], list)):
        raise ValueError(_TAGS_SHAPE)
    groups = []
    for part in tags["and"]:
        if isinstance(part, str):
            groups.append([part])
        elif isinstance(part, dict) and set(part) == {"or"}:
            groups.append(_strings(part["or"]))
        else:
            raise ValueError(_TAGS_SHAPE)
    return groups


MAX_FILTER_LEAVES = 50


def filter_object(value: Any) -> dict[str, Any]:
    """A payload/data filter: a JSON object (or its text) of at most ``MAX_FILTER_LEAVES`` values to match.

    Raises ValueError otherwise; the bound keeps one filter from growing into thousands of SQL conditions.
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
            raise ValueError("must be a JSON object") from None
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object")
    try:
        count = sum(1 for _ in leaves(value))
    except RecursionError:
        raise ValueError("is nested too deeply") from None
    if count > MAX_FILTER_LEAVES:
        raise ValueError(f"may match at most {MAX_FILTER_LEAVES} values")
    return value


def _data(value: Any) -> Any:
    # The data filter arrives as a JSON string from novu-py and as an object from hand-written clients.
    return None if value is None else filter_object(value)


class InboxFilter(_Body):
    """One element of the v2 count's ``filters``, and the selection of the v2 bulk updates."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    tags: list[str] | dict[str, Any] | None = None
    read: bool | None = None
    seen: bool | None = None
    archived: bool | None = None
    snoozed: bool | None = None
    severity: Severity | list[Severity] | None = None
    data: dict[str, Any] | str | None = None
    # Clarion has no message contexts; the field is accepted so that Novu clients validate.
    context_keys: list[str] | None = Field(default=None, alias="contextKeys")

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        tag_groups(value)
        return value

    @field_validator("data", mode="before")
    @classmethod
    def _parse_data(cls, value: Any) -> Any:
        return _data(value)

    def feed_filter(self) -> FeedFilter:
        severities = [self.severity] if isinstance(self.severity, str) else list(self.severity or [])
        return FeedFilter(
            seen=self.seen, read=self.read, archived=self.archived, snoozed=self.snoozed, payload=self.payload(),
            tag_groups=tag_groups(self.tags), severities=severities,
        )  # fmt: skip

    def selection(self) -> FeedFilter:
        """Only tags and data: what a bulk update's body may narrow the subscriber's messages by."""
        return FeedFilter(payload=self.payload(), tag_groups=tag_groups(self.tags))

    def payload(self) -> dict[str, Any] | None:
        return self.data if isinstance(self.data, dict) else None


class SeenBody(InboxFilter):
    """``POST /v2/subscribers/{id}/notifications/seen``: the given notifications, or those matching the filter."""

    notification_ids: list[str] | None = Field(default=None, alias="notificationIds")
