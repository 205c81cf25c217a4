"""Instants in a time zone for delivery windows and scheduled digests (``activities.schedule``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.schedule_rules import in_window, next_at_time, next_cron, parse_cron, zone

PARIS = zone("Europe/Paris")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("after", "expected"), [
    ("2026-11-23T12:00:00", "2026-11-23T12:00:00"),  # Monday 13:00 in Paris: inside, unchanged
    ("2026-11-23T20:30:00", "2026-11-24T07:00:00"),  # 21:30 in Paris: the next morning at 08:00
    ("2026-11-27T20:30:00", "2026-11-30T07:00:00"),  # Friday night: Monday (weekdays only)
])
def test_delivery_window_in_a_time_zone(after: str, expected: str) -> None:
    window = {"start": "08:00", "end": "20:00", "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday"]}
    assert in_window(window, utc(after), PARIS) == utc(expected)


def test_a_window_may_span_midnight() -> None:
    assert in_window({"start": "22:00", "end": "06:00"}, utc("2026-11-23T03:00:00"), zone("UTC")) == \
        utc("2026-11-23T03:00:00")
    assert in_window({"start": "22:00", "end": "06:00"}, utc("2026-11-23T12:00:00"), zone("UTC")) == \
        utc("2026-11-23T22:00:00")


def test_cron_and_at_time_in_the_subscribers_zone() -> None:
    assert next_cron("0 9 * * 1-5", utc("2026-11-27T09:00:00"), PARIS) == utc("2026-11-30T08:00:00")
    assert next_cron("*/15 * * * *", utc("2026-11-23T10:07:00"), zone("UTC")) == utc("2026-11-23T10:15:00")
    assert next_at_time("09:00", ["sunday"], utc("2026-11-23T00:00:00"), PARIS) == utc("2026-11-29T08:00:00")
    assert zone("Not/AZone").key == "UTC"


@pytest.mark.parametrize("bad", ["* * * *", "61 * * * *", "* 24 * * *", "a * * * *"])
def test_bad_cron_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_cron(bad)
