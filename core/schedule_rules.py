"""Calendar rules: cron expressions, wall-clock times and delivery windows in a time zone (pure).

Time zones need the zone database, which a workflow may not read (the sandbox forbids it and it
can change between replays): ``activities.schedule`` calls these and the history keeps the answers.

- ``cron``: the next minute after ``after`` matching a five-field cron expression
  (minute hour day-of-month month day-of-week; ``*``, lists, ranges and ``/`` steps; 0 or 7 is Sunday).
- ``at_time`` with optional ``weekdays``: the next such wall-clock time.
- ``window``: ``after`` itself when it lies inside the delivery window, else the window's next start.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_FIELDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_cron(expression: str) -> list[set[int]]:
    """The allowed values of each of the five fields; raises ValueError naming the bad field."""
    parts = expression.split()
    if len(parts) != 5:
        raise ValueError("a cron expression has five fields: minute hour day month weekday")
    sets: list[set[int]] = []
    for part, (low, high) in zip(parts, _FIELDS, strict=True):
        values: set[int] = set()
        for item in part.split(","):
            body, _, step_text = item.partition("/")
            step = int(step_text) if step_text else 1
            if body == "*":
                start, end = low, high
            elif "-" in body:
                a, b = body.split("-", 1)
                start, end = int(a), int(b)
            else:
                start = end = int(body)
                if step_text:
                    end = high
            if not (low <= start <= end <= high) or step < 1:
                raise ValueError(f"{item!r} is outside {low}-{high}")
            values |= set(range(start, end + 1, step))
        sets.append(values)
    if 7 in sets[4]:
        sets[4] = (sets[4] - {7}) | {0}
    return sets


def next_cron(expression: str, after: datetime, tz: ZoneInfo) -> datetime:
    minutes, hours, days, months, weekdays = parse_cron(expression)
    day_any, weekday_any = expression.split()[2] == "*", expression.split()[4] == "*"
    local = after.astimezone(tz)
    day = local.date()
    for _ in range(366 * 5):
        cron_weekday = (day.weekday() + 1) % 7  # cron: 0 is Sunday
        day_ok = day.day in days
        weekday_ok = cron_weekday in weekdays
        # Cron's rule: when both day fields are restricted, either may match.
        matches = (day_ok or weekday_ok) if not (day_any or weekday_any) else (day_ok and weekday_ok)
        if day.month in months and matches:
            for hour in sorted(hours):
                for minute in sorted(minutes):
                    candidate = datetime.combine(day, time(hour, minute), tzinfo=tz)
                    if candidate > local:
                        return candidate.astimezone(UTC)
        day += timedelta(days=1)
    raise ValueError(f"cron expression {expression!r} never matches")


def parse_clock(text: str) -> time:
    hour, _, minute = text.partition(":")
    return time(int(hour), int(minute or 0))


def next_at_time(at_time: str, weekdays: Sequence[str] | None, after: datetime, tz: ZoneInfo) -> datetime:
    clock = parse_clock(at_time)
    allowed = {WEEKDAYS.index(d) for d in weekdays} if weekdays else set(range(7))
    local = after.astimezone(tz)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        candidate = datetime.combine(day, clock, tzinfo=tz)
        if day.weekday() in allowed and candidate > local:
            return candidate.astimezone(UTC)
    raise ValueError("no weekday allowed")


def in_window(window: dict[str, object], after: datetime, tz: ZoneInfo) -> datetime:
    """``after`` when inside the window, else the window's next opening (windows may span midnight)."""
    start, end = parse_clock(str(window.get("start", "00:00"))), parse_clock(str(window.get("end", "23:59")))
    raw_days = window.get("weekdays")
    allowed = {WEEKDAYS.index(str(d)) for d in raw_days} if isinstance(raw_days, list) and raw_days else set(range(7))
    local = after.astimezone(tz)
    for offset in range(-1, 9):
        day = local.date() + timedelta(days=offset)
        if day.weekday() not in allowed:
            continue
        opens = datetime.combine(day, start, tzinfo=tz)
        closes = datetime.combine(day + timedelta(days=1) if end <= start else day, end, tzinfo=tz)
        if opens <= local < closes:
            return after
        if opens > local:
            return opens.astimezone(UTC)
    return after
