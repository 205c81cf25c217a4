"""Event type schemas: draft 2020-12 by default, ``$schema`` honoured, five formats checked (§0.5)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import SchemaError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_REQUIRED = re.compile(r"^'(.+)' is a required property$")
CHECKER = FormatChecker(formats=())


def _date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and bool(date.fromisoformat(value))


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", value):
        return False
    datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    return True


def _email(value: object) -> bool:
    return not isinstance(value, str) or bool(_EMAIL.match(value))


def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urlsplit(value).scheme)


def _uuid(value: object) -> bool:
    return not isinstance(value, str) or bool(uuid.UUID(value))


for _name, _check in (("date", _date), ("date-time", _date_time), ("email", _email), ("uri", _uri),
                      ("uuid", _uuid)):
    CHECKER.checks(_name, raises=ValueError)(_check)


def check_schema(schema: dict[str, Any]) -> str | None:
    """Why ``schema`` is not a valid JSON Schema, or None."""
    try:
        validators.validator_for(schema, default=Draft202012Validator).check_schema(schema)
    except SchemaError as exc:
        return str(exc.message)
    return None


def violations(schema: dict[str, Any], value: Any, limit: int = 50) -> list[tuple[str, str]]:
    """(path, message) of each violation, ``data``-rooted paths such as ``data.customer.email``."""
    cls = validators.validator_for(schema, default=Draft202012Validator)
    found = []
    for error in sorted(cls(schema, format_checker=CHECKER).iter_errors(value), key=lambda e: list(e.path)):
        path = "data" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        missing = _REQUIRED.match(error.message) if error.validator == "required" else None
        if missing:  # name the missing property itself, as Qala does
            path += f".{missing.group(1)}"
        found.append((path, error.message))
        if len(found) >= limit:
            break
    return found
