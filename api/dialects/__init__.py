"""Which API dialect owns a path, so every error is rendered in the client's own format."""

from __future__ import annotations

import re
from enum import StrEnum


class Dialect(StrEnum):
    NATIVE = "native"
    QALA = "qala"
    WORKATO = "workato"
    PARALLELS = "parallels"
    BITCASTER = "bitcaster"


_RULES: list[tuple[re.Pattern[str], Dialect]] = [
    (re.compile(r"^/v1/(topics/[^/]+/)?events/publish/?$"), Dialect.QALA),
    (re.compile(r"^/management/v1(/|$)"), Dialect.QALA),
    (re.compile(r"^/api/(event_streams|v1/topics|v1/batch|pubsub)(/|$)"), Dialect.WORKATO),
    (re.compile(r"^/api/v1/ws(/|$)"), Dialect.PARALLELS),
    (re.compile(r"^/api/(o|system)(/|$)"), Dialect.BITCASTER),
]


def dialect_for_path(path: str) -> Dialect:
    """The dialect of ``path`` by the ownership table of shared/event-apis.md §0.1."""
    for pattern, dialect in _RULES:
        if pattern.search(path):
            return dialect
    return Dialect.NATIVE
