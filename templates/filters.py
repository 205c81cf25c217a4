"""Filters Clarion adds to Jinja's built-ins: dates, money, plurals and JSON.

Each filter is a plain function of plain values; none touches I/O or the clock, so rendering stays
reproducible. ``truncate``, ``default``, ``tojson`` and the rest come from Jinja itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sized
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Undefined

# Epoch numbers at or above this are milliseconds (JavaScript's Date.now()); as seconds they would
# be later than the year 5000.
_EPOCH_MS_THRESHOLD = 100_000_000_000

_CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "KRW": "₩"}
_ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF"})


def _defined(value: Any) -> Any:
    # A filter receives the Undefined object itself; make it fail with its own message
    # ("'payload' has no attribute 'at'") rather than a confusing type error here.
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value


def _to_datetime(value: Any) -> tuple[datetime, bool]:
    """Return the value as a datetime and whether it carried a time (date-only values are not shifted)."""
    value = _defined(value)
    if isinstance(value, datetime):
        return value, True
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day), False
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) >= _EPOCH_MS_THRESHOLD else value
        return datetime.fromtimestamp(seconds, tz=UTC), True
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day), False
        return datetime.fromisoformat(text), True
    raise TypeError(f"cannot format {type(value).__name__} as a date")


def format_datetime(value: Any, fmt: str = "%Y-%m-%d %H:%M", tz: str | None = None) -> str:
    """Format an ISO 8601 string, an epoch number (seconds or milliseconds) or a datetime.

    Args:
        value: The moment to format; naive values are taken as UTC when ``tz`` is given.
        fmt: A ``strftime`` pattern.
        tz: IANA zone to convert to, e.g. ``subscriber.timezone``; None keeps the value's own zone.

    Returns:
        The formatted text.
    """
    moment, has_time = _to_datetime(value)
    if tz and has_time:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(ZoneInfo(tz))
    return moment.strftime(fmt)


def format_date(value: Any, fmt: str = "%Y-%m-%d", tz: str | None = None) -> str:
    """Same as `format_datetime` with a date-only default pattern."""
    return format_datetime(value, fmt, tz)


def currency(value: Any, code: str = "USD", decimals: int | None = None) -> str:
    """Format an amount of money without locale rules: ``$1,234.50``, ``€3.00``, ``12.00 CHF``.

    Args:
        value: A number or numeric string, in major units (dollars, not cents).
        code: ISO 4217 code; a few common ones get a symbol, the rest are written after the amount.
        decimals: Digits after the point; defaults to 0 for yen-like currencies and 2 otherwise.

    Returns:
        The formatted amount, rounded half up.
    """
    value = _defined(value)
    if isinstance(value, bool):
        raise TypeError("cannot format a boolean as currency")
    code = code.upper()
    places = decimals if decimals is not None else (0 if code in _ZERO_DECIMAL_CURRENCIES else 2)
    if not 0 <= places <= 8:
        raise ValueError("currency decimals must be between 0 and 8")
    amount = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,.{places}f}"
    symbol = _CURRENCY_SYMBOLS.get(code)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {code}"


def pluralize(value: Any, suffix: str = "s") -> str:
    """Return a plural suffix unless the count is exactly 1, as Django's filter does.

    ``{{ n }} item{{ n | pluralize }}``, ``{{ n }} class{{ n | pluralize('es') }}``,
    ``{{ n }} part{{ n | pluralize('y,ies') }}``.

    Args:
        value: A number, a numeric string, or a collection (its length is the count).
        suffix: The plural suffix, or ``"singular,plural"`` suffixes separated by a comma.

    Returns:
        The singular or the plural suffix.
    """
    value = _defined(value)
    singular, plural = suffix.split(",", 1) if "," in suffix else ("", suffix)
    if isinstance(value, str):
        count: Any = Decimal(value.strip())
    elif isinstance(value, int | float | Decimal):
        count = value
    elif isinstance(value, Sized):
        count = len(value)
    else:
        raise TypeError(f"cannot pluralize by {type(value).__name__}")
    return singular if count == 1 else plural


def to_json(value: Any, indent: int | None = None) -> str:
    """Serialize to JSON text for text channels; unlike ``tojson`` it is not HTML-escaped.

    Args:
        value: Any JSON-like value; dates and other objects are written with ``str()``.
        indent: Pretty-print indent, or None for one line.

    Returns:
        JSON text (non-ASCII kept as is).
    """
    return json.dumps(_defined(value), ensure_ascii=False, indent=indent, default=str)


#: Filters added to every Clarion environment.
SAFE_FILTERS: dict[str, Callable[..., Any]] = {
    "date": format_date,
    "datetime": format_datetime,
    "currency": currency,
    "pluralize": pluralize,
    "json": to_json,
}
