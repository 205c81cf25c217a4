"""Workato's topic schema format: normalising a field list, and checking a message against it (§2.2).

Pure functions, no I/O: the API validates with them before anything is stored.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

TYPES = ("string", "integer", "number", "boolean", "date", "date_time", "object", "array")
CONTROL_TYPES = {"string": "text", "integer": "integer", "number": "number", "boolean": "checkbox",
                 "date": "date", "date_time": "date_time", "object": "text", "array": "text"}
MAX_FIELDS = 200
MAX_DEPTH = 5
MAX_DETAILS = 50
_INTEGER = re.compile(r"^-?\d+$")
_INT64 = (-(2**63), 2**63 - 1)


class SchemaError(ValueError):
    """A field list or a message that breaks the rules; ``details`` maps field paths to messages."""

    def __init__(self, message: str, details: dict[str, str]) -> None:
        super().__init__(message)
        self.details = dict(list(details.items())[:MAX_DETAILS])


def normalise_fields(raw: Any) -> list[dict[str, Any]]:
    """The field list with defaults filled in (``optional``, ``label``, ``control_type``), or SchemaError."""
    if not isinstance(raw, list):
        raise SchemaError("schema must be an array of fields", {"schema": "must be an array"})
    errors: dict[str, str] = {}
    count = [0]
    fields = _normalise_list(raw, "schema", 1, errors, count)
    if count[0] > MAX_FIELDS:
        errors["schema"] = f"has {count[0]} fields; at most {MAX_FIELDS} are allowed"
    if errors:
        raise SchemaError("schema is invalid: " + "; ".join(f"{k} {v}" for k, v in errors.items()), errors)
    return fields


def _normalise_list(
    raw: list[Any], path: str, depth: int, errors: dict[str, str], count: list[int]
) -> list[dict[str, Any]]:
    if depth > MAX_DEPTH:
        errors[path] = f"is nested more than {MAX_DEPTH} deep"
        return []
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for index, item in enumerate(raw):
        here = f"{path}[{index}]"
        count[0] += 1
        if not isinstance(item, dict):
            errors[here] = "must be an object"
            continue
        field = dict(item)
        name = field.get("name")
        if not isinstance(name, str) or not name:
            errors[f"{here}.name"] = "is required"
            continue
        if name in seen:
            errors[f"{here}.name"] = f"'{name}' is not unique"
        seen.add(name)
        kind = field.get("type")
        if kind not in TYPES:
            errors[f"{here}.type"] = f"must be one of {', '.join(TYPES)}"
            continue
        optional = field.get("optional", True)
        if not isinstance(optional, bool):
            errors[f"{here}.optional"] = "must be a boolean"
        field["optional"] = optional
        field.setdefault("label", name)
        field.setdefault("control_type", CONTROL_TYPES[kind])
        of = field.get("of")
        if kind == "array" and of is not None and of not in TYPES:
            errors[f"{here}.of"] = f"must be one of {', '.join(TYPES)}"
        nested = field.get("properties")
        if nested is not None and (kind == "object" or (kind == "array" and of == "object")):
            if not isinstance(nested, list):
                errors[f"{here}.properties"] = "must be an array of fields"
            else:
                field["properties"] = _normalise_list(nested, f"{here}.properties", depth + 1, errors, count)
        out.append(field)
    return out


def check_message(fields: list[dict[str, Any]], message: Any) -> dict[str, Any]:
    """The message with convertible values converted (``"12"`` → 12 for an integer), or SchemaError."""
    if not isinstance(message, dict):
        raise SchemaError("The message must be a JSON object", {"$": "must be a JSON object"})
    errors: dict[str, str] = {}
    result = _check_object(fields, message, "", errors)
    if errors:
        first = next(iter(errors.items()))
        raise SchemaError(f"Message does not match the topic schema: {first[0]} {first[1]}", errors)
    return result


def _check_object(
    fields: list[dict[str, Any]], value: dict[str, Any], prefix: str, errors: dict[str, str]
) -> dict[str, Any]:
    out = dict(value)  # keys not in the schema are kept (a publisher may run ahead of its schema)
    for field in fields:
        name = field["name"]
        path = f"{prefix}.{name}" if prefix else name
        item = value.get(name)
        if item is None:
            if not field.get("optional", True):
                errors[path] = "is required"
            continue
        out[name] = _check_value(field, field["type"], item, path, errors)
    return out


def _check_value(field: dict[str, Any], kind: str, item: Any, path: str, errors: dict[str, str]) -> Any:
    if kind in ("object", "array"):
        return _check_container(field, kind, item, path, errors)
    converted = _SCALARS[kind](item)
    if converted is _INVALID:
        errors[path] = f"is not a valid {kind}"
        return item
    return converted


def _check_container(field: dict[str, Any], kind: str, item: Any, path: str, errors: dict[str, str]) -> Any:
    nested = field.get("properties")
    if kind == "object":
        if not isinstance(item, dict):
            errors[path] = "is not a valid object"
            return item
        return _check_object(nested, item, path, errors) if isinstance(nested, list) else item
    if not isinstance(item, list):
        errors[path] = "is not a valid array"
        return item
    of = field.get("of")
    if of is None:
        return item
    return [_check_value(field, of, entry, f"{path}[{i}]", errors) if entry is not None else None
            for i, entry in enumerate(item)]


_INVALID = object()


def _string(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and math.isfinite(value):
        return repr(value) if isinstance(value, float) else str(value)
    return _INVALID


def _integer(value: Any) -> Any:
    if isinstance(value, bool):
        return _INVALID
    if isinstance(value, float):
        value = int(value) if math.isfinite(value) and value.is_integer() else _INVALID
    elif isinstance(value, str):
        value = int(value) if _INTEGER.match(value) else _INVALID
    if isinstance(value, int) and _INT64[0] <= value <= _INT64[1]:
        return value
    return _INVALID


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        return _INVALID
    if isinstance(value, str):
        try:
            value = float(value) if not _INTEGER.match(value) else int(value)
        except ValueError:
            return _INVALID
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return value
    return _INVALID


def _boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return _INVALID


def _date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            date.fromisoformat(value)
            return value
        except ValueError:
            return value if _date_time(value) is not _INVALID else _INVALID
    return _INVALID


def _date_time(value: Any) -> Any:
    if not isinstance(value, str):
        return _INVALID
    try:
        # No offset means UTC and a date alone means midnight: both parse, so both are accepted.
        datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return _INVALID
    return value


_SCALARS = {"string": _string, "integer": _integer, "number": _number, "boolean": _boolean,
            "date": _date, "date_time": _date_time}
