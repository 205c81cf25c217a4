"""The one JSON body parser of every face: syntax, nesting depth, lone surrogates, finite numbers.

Every face reads a JSON body through ``parse_json`` (directly, or through ``JsonGuardMiddleware``
for the routes whose body FastAPI parses), so a body that Python could parse but nothing after it
could use is a 400 in the face's own format, never a ``RecursionError``, an unencodable string or a
JSON ``NaN`` that PostgreSQL refuses.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import MutableMapping
from typing import Any

# Deeper than any notification payload or schema needs, and far below the interpreter's recursion
# limit that later walkers (validation, rendering, serialisation) would hit.
MAX_DEPTH = 64
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class JsonBodyError(ValueError):
    """Why a body is refused; ``structural`` is False for plain syntax errors (each face words those)."""

    def __init__(self, reason: str, *, structural: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.structural = structural


def _constant(name: str) -> Any:
    raise JsonBodyError(f"contains {name}, which is not a JSON number")


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonBodyError(f"contains the number {text[:40]}, which is out of range")
    return value


def parse_json(raw: bytes | str) -> Any:
    """The parsed body, or JsonBodyError naming what is wrong."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise JsonBodyError("is not valid UTF-8", structural=False) from None
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_number)
    except RecursionError:
        raise JsonBodyError(f"is nested deeper than {MAX_DEPTH} levels") from None
    except JsonBodyError:
        raise
    except ValueError as exc:
        raise JsonBodyError(f"is not valid JSON: {exc}", structural=False) from None
    # Cheap tests first: most bodies cannot be too deep and carry no surrogate escape at all.
    deep = text.count("{") + text.count("[") > MAX_DEPTH
    surrogates = _SURROGATE_ESCAPE.search(text) is not None
    if deep or surrogates:
        _check(value, surrogates)
    return value


def _check(value: Any, surrogates: bool) -> None:
    # Only containers are pushed: a wide, shallow body (a batch of 100 messages) walks its ~100
    # objects, not every leaf; strings are looked at only when the text held a surrogate escape.
    if surrogates and isinstance(value, str):
        _encodable(value)
    stack: list[tuple[Any, int]] = [(value, 0)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth >= MAX_DEPTH:
            raise JsonBodyError(f"is nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            if surrogates:  # keys are strings: they matter only for surrogates
                for key in node:
                    _encodable(key)
            node = node.values()
        for item in node:
            if isinstance(item, dict | list):
                stack.append((item, depth + 1))
            elif surrogates and isinstance(item, str):
                _encodable(item)


def _encodable(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonBodyError("contains a lone surrogate (\\ud800-\\udfff) in a string") from None


# Where JsonGuardMiddleware leaves the body it parsed, so the route's reader does not parse it again.
PARSED_KEY = "clarion.parsed_json"


def keep_parsed(scope: MutableMapping[str, Any], raw: bytes, value: Any) -> None:
    scope[PARSED_KEY] = (raw, value)


def parse_request_json(scope: MutableMapping[str, Any], raw: bytes) -> Any:
    """``parse_json(raw)``, or the guard's result for this very body (handed over once: callers may
    change what they get)."""
    kept = scope.pop(PARSED_KEY, None)
    if kept is not None and kept[0] == raw:
        return kept[1]
    return parse_json(raw)
