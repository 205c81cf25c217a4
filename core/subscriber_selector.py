"""Choose subscribers by Django-style lookups (Bitcaster's ``filters``) and a ``limit_to`` list.

A lookup is ``{"<field>[__<op>]": value}``; a list of lookups is OR-ed, the keys of one lookup
are AND-ed. The selector is plain data so it can travel inside a workflow input and be applied
when a batch claims its recipients.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from pydantic import BaseModel, Field


class Subscriber(Protocol):
    """The fields a selector reads (the stored subscriber has them)."""

    @property
    def subscriber_id(self) -> str: ...

    @property
    def email(self) -> str | None: ...

    @property
    def phone(self) -> str | None: ...

    @property
    def first_name(self) -> str | None: ...

    @property
    def last_name(self) -> str | None: ...

    @property
    def locale(self) -> str | None: ...

    @property
    def timezone(self) -> str | None: ...

    @property
    def data(self) -> dict[str, Any] | None: ...


FIELDS = ("subscriberId", "email", "phone", "firstName", "lastName", "locale", "timezone")
OPS = ("exact", "iexact", "contains", "icontains", "startswith", "endswith", "in", "isnull")

Lookup = dict[str, Any]


class Selector(BaseModel):
    """``include`` (all when empty) minus ``exclude``, then only ``limit_to`` when it is given."""

    include: list[Lookup] = Field(default_factory=list)
    exclude: list[Lookup] = Field(default_factory=list)
    limit_to: list[str] | None = None

    def matches(self, subscriber: Subscriber) -> bool:
        if self.include and not any(_lookup_matches(one, subscriber) for one in self.include):
            return False
        if any(_lookup_matches(one, subscriber) for one in self.exclude):
            return False
        if self.limit_to is not None:
            wanted = set(self.limit_to)
            return bool({subscriber.subscriber_id, subscriber.email, subscriber.phone} & wanted)
        return True


def split_key(key: str) -> tuple[str, str]:
    """``"email__icontains"`` → (``"email"``, ``"icontains"``); no operator means ``exact``."""
    field, _, op = key.partition("__")
    return field, op or "exact"


def lookup_errors(lookup: Any) -> list[str]:
    """What is wrong with one lookup object (empty when it is valid)."""
    if not isinstance(lookup, dict):
        return ["Expected a dictionary of lookups."]
    problems = []
    for key, value in lookup.items():
        field, op = split_key(str(key))
        if field not in FIELDS and not (field.startswith("data.") and len(field) > 5):
            problems.append(f"Unknown field '{field}'.")
        elif op not in OPS:
            problems.append(f"Unknown lookup '{op}' on '{field}'.")
        elif op == "in" and not isinstance(value, list):
            problems.append(f"'{key}' expects a list.")
        elif op == "isnull" and not isinstance(value, bool):
            problems.append(f"'{key}' expects true or false.")
    return problems


def _field_value(subscriber: Subscriber, field: str) -> Any:
    if field.startswith("data."):
        value: Any = subscriber.data or {}
        for part in field[5:].split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value
    attribute = {"subscriberId": "subscriber_id", "firstName": "first_name", "lastName": "last_name"}.get(field, field)
    return getattr(subscriber, attribute)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "exact": lambda actual, wanted: actual == wanted or (actual is not None and _text(actual) == _text(wanted)),
    "iexact": lambda actual, wanted: actual is not None and _text(actual).lower() == _text(wanted).lower(),
    "contains": lambda actual, wanted: actual is not None and _text(wanted) in _text(actual),
    "icontains": lambda actual, wanted: actual is not None and _text(wanted).lower() in _text(actual).lower(),
    "startswith": lambda actual, wanted: actual is not None and _text(actual).startswith(_text(wanted)),
    "endswith": lambda actual, wanted: actual is not None and _text(actual).endswith(_text(wanted)),
    "in": lambda actual, wanted: actual is not None and _text(actual) in {_text(w) for w in wanted},
    "isnull": lambda actual, wanted: (actual is None or actual == "") == bool(wanted),
}


def _lookup_matches(lookup: Lookup, subscriber: Subscriber) -> bool:
    for key, wanted in lookup.items():
        field, op = split_key(key)
        if not _OPS[op](_field_value(subscriber, field), wanted):
            return False
    return True
