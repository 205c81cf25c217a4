"""SQL conditions for the in-app feed's filters: state flags, payload subsets and tag groups.

Payload and tags are JSON columns (JSONB on PostgreSQL), so each JSON condition has a PostgreSQL
form and a SQLite form that answer the same question.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, literal, or_, select, true, type_coerce
from sqlalchemy.dialects.postgresql import JSONB, array

from store.base import utcnow
from store.models import Message, NotificationWorkflow

# A message's severity is its workflow's; a message whose workflow is gone reads as "none".
NO_SEVERITY = "none"


@dataclass(frozen=True)
class FeedFilter:
    """What the feed, its counts and its bulk updates may be narrowed by; ``None`` and ``()`` mean "any"."""

    seen: bool | None = None
    read: bool | None = None
    archived: bool | None = None
    snoozed: bool | None = None
    # A partial payload: every leaf given must equal the message payload's value at the same path.
    payload: Mapping[str, Any] | None = None
    # Tags in conjunctive form: every group must share at least one tag with the message.
    tag_groups: Sequence[Sequence[str]] = ()
    severities: Sequence[str] = ()
    created_gte: datetime | None = None
    created_lte: datetime | None = None


def leaves(obj: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Nested objects match key by key, as Novu's dotted paths do; arrays and scalars match whole."""
    for key, value in obj.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and value:
            yield from leaves(value, path)
        else:
            yield path, value


def _sqlite_leaf(path: tuple[str, ...], value: Any) -> ColumnElement[bool]:
    if any('"' in key for key in path):
        return false()  # not expressible as a SQLite JSON path, so no stored payload can match it
    where = "$" + "".join(f'."{key}"' for key in path)
    kind = func.json_type(Message.payload, where)
    found = func.json_extract(Message.payload, where)
    # json_extract returns SQL values (true reads as 1), so the JSON type keeps true apart from 1.
    if value is None:
        return kind == "null"
    if isinstance(value, bool):
        return kind == ("true" if value else "false")
    if isinstance(value, int | float):
        return and_(kind.in_(["integer", "real"]), found == value)
    if isinstance(value, str):
        return and_(kind == "text", found == value)
    return and_(kind.in_(["array", "object"]), found == func.json(json.dumps(value, separators=(",", ":"))))


def _postgres_leaf(path: tuple[str, ...], value: Any) -> ColumnElement[bool]:
    # JSONB equality compares numbers by value (1 = 1.0) and objects regardless of key order.
    clause: ColumnElement[bool] = type_coerce(Message.payload, JSONB)[path] == literal(value, type_=JSONB)
    return clause


def payload_clause(dialect: str, payload: Mapping[str, Any]) -> ColumnElement[bool]:
    leaf = _postgres_leaf if dialect == "postgresql" else _sqlite_leaf
    return and_(true(), *(leaf(path, value) for path, value in leaves(payload)))


def _tags_clause(dialect: str, group: Sequence[str]) -> ColumnElement[bool]:
    if not group:
        return false()
    if dialect == "postgresql":
        clause: ColumnElement[bool] = type_coerce(Message.tags, JSONB).has_any(array(list(group)))
        return clause
    each = func.json_each(Message.tags).table_valued("value")
    return select(literal(1)).select_from(each).where(each.c.value.in_(list(group))).exists()


def conditions(dialect: str, filters: FeedFilter) -> list[ColumnElement[bool]]:
    """The filter as WHERE conditions on ``messages``; the caller adds the environment and subscriber."""
    found: list[ColumnElement[bool]] = []
    for column, wanted in ((Message.seen, filters.seen), (Message.read, filters.read),
                           (Message.archived, filters.archived)):  # fmt: skip
        if wanted is not None:
            found.append(column == wanted)
    if filters.snoozed is not None:
        found.append(snoozed_now() if filters.snoozed else not_snoozed_now())
    if filters.severities:
        found.append(_severity_clause(filters.severities))
    if filters.payload:
        found.append(payload_clause(dialect, filters.payload))
    found.extend(_tags_clause(dialect, group) for group in filters.tag_groups)
    if filters.created_gte is not None:
        found.append(Message.created_at >= filters.created_gte)
    if filters.created_lte is not None:
        found.append(Message.created_at <= filters.created_lte)
    return found


def snoozed_now() -> ColumnElement[bool]:
    """Snoozed is a time, not a flag: once ``snoozed_until`` has passed the message is back, written or not."""
    return and_(Message.snoozed_until.is_not(None), Message.snoozed_until > utcnow())


def not_snoozed_now() -> ColumnElement[bool]:
    return or_(Message.snoozed_until.is_(None), Message.snoozed_until <= utcnow())


def _severity_clause(severities: Sequence[str]) -> ColumnElement[bool]:
    flows = select(NotificationWorkflow.id).where(NotificationWorkflow.severity.in_(list(severities)))
    clause = Message.workflow_id.in_(flows)
    if NO_SEVERITY in severities:
        return or_(clause, Message.workflow_id.is_(None),
                   ~select(NotificationWorkflow.id).where(NotificationWorkflow.id == Message.workflow_id).exists())
    return clause
