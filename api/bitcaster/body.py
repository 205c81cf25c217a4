"""The body of a Bitcaster trigger: ``context`` and ``options``, checked field by field.

Errors come out in Django REST framework's shape (``{"options": {"channels": ["…"]}}``), carried
on the exception as the whole body, because DRF nests them by field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Undefined

from api.errors import BadRequest, PayloadTooLarge
from api.json_body import JsonBodyError, parse_json
from core.subscriber_selector import Selector, lookup_errors
from templates.budget import budget
from templates.environment import make_environment

OPTION_KEYS = ("limit_to", "channels", "environs", "filters")
MAX_CONTEXT_BYTES = 512 * 1024
MAX_FILTER_CHARS = 64 * 1024
# Clarion's sandbox (bounded amplifiers, budgeted loops and calls), lenient about missing keys as before.
_SANDBOX = make_environment(autoescape=False, max_repeat=MAX_FILTER_CHARS, filters={}, undefined=Undefined)
# A filter value renders on the API's event loop: it gets a small budget of its own.
FILTER_BUDGET_SECONDS = 0.1


def drf_error(body: dict[str, Any]) -> BadRequest:
    return BadRequest("Invalid input.", extra={"bitcaster_body": body})


@dataclass
class TriggerRequest:
    context: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    limit_to: list[str] | None = None
    channels: list[str] | None = None
    environs: list[str] = field(default_factory=list)
    selector: Selector | None = None  # set only in "external" mode (``filters`` given)


def _strings(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise drf_error({"options": {name: ["Expected a list of strings."]}})
    return list(dict.fromkeys(value))


def _render(value: Any, context: dict[str, Any]) -> Any:
    """Filter values may use ``{{ ctx.<key> }}``, rendered from the trigger's context in the sandbox."""
    if isinstance(value, str) and "{{" in value:
        try:
            with budget(FILTER_BUDGET_SECONDS, max_ops=10_000, max_chars=MAX_FILTER_CHARS):
                return _SANDBOX.from_string(value).render(ctx=context)
        except Exception as exc:
            raise drf_error({"options": {"filters": [f"Cannot render {value!r}: {exc}"]}}) from None
    if isinstance(value, list):
        return [_render(item, context) for item in value]
    return value


def _lookups(name: str, value: Any, context: dict[str, Any]) -> list[dict[str, Any]]:
    lookups = value if isinstance(value, list) else [value]
    problems = [f"{name}: {problem}" for lookup in lookups for problem in lookup_errors(lookup)]
    if problems:
        raise drf_error({"options": {"filters": problems}})
    return [{key: _render(wanted, context) for key, wanted in lookup.items()} for lookup in lookups]


def _selector(filters: Any, context: dict[str, Any]) -> Selector:
    if not isinstance(filters, dict) or set(filters) - {"include", "exclude"}:
        raise drf_error({"options": {"filters": ["Expected an object with 'include' and/or 'exclude'."]}})
    return Selector(
        include=_lookups("include", filters["include"], context) if filters.get("include") else [],
        exclude=_lookups("exclude", filters["exclude"], context) if filters.get("exclude") else [],
    )


def parse_trigger(raw: bytes) -> TriggerRequest:
    """Validate a trigger body; an empty body means ``{}``."""
    if len(raw) > MAX_CONTEXT_BYTES + 64 * 1024:
        raise PayloadTooLarge("Request body is too large.")
    try:
        body = parse_json(raw) if raw.strip() else {}
    except JsonBodyError as exc:
        raise drf_error({"detail": f"JSON parse error - the body {exc.reason}."}) from None
    if not isinstance(body, dict):
        kind = type(body).__name__
        raise drf_error({"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]})
    context = body.get("context", {})
    if context is None:
        context = {}
    if not isinstance(context, dict):
        kind = type(context).__name__
        raise drf_error({"context": [f'Expected a dictionary of items but got type "{kind}".']})
    if len(json.dumps(context)) > MAX_CONTEXT_BYTES:
        raise PayloadTooLarge("context is over 512 KiB.")
    options = body.get("options")
    if options is None:
        options = {}
    if not isinstance(options, dict):
        kind = type(options).__name__
        raise drf_error({"options": [f'Expected a dictionary of items but got type "{kind}".']})
    unknown = [key for key in options if key not in OPTION_KEYS]
    if unknown:
        raise drf_error({"options": [f"Unknown field(s): {', '.join(unknown)}"]})
    request = TriggerRequest(context=context, options=options)
    if "limit_to" in options:
        request.limit_to = _strings("limit_to", options["limit_to"])
    if "channels" in options:
        request.channels = _strings("channels", options["channels"])
    if "environs" in options:
        request.environs = _strings("environs", options["environs"])
    if options.get("filters") is not None:
        request.selector = _selector(options["filters"], context)
    return request
