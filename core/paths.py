"""Reading a dotted path (``payload.a.b``) out of a trigger's payload, as steps' controls name them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def read_path(payload: Mapping[str, Any], path: str) -> Any:
    """``payload.a.b`` (or ``a.b``) of the payload, or None when any part is missing."""
    value: Any = payload
    for part in path.removeprefix("payload.").split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value
