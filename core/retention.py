"""How long an environment keeps its activity and its read inbox messages (per-environment settings).

The activity feed (notifications with their jobs, execution details and delivery records) is kept
30 days after the trigger, messages read in the inbox 90 days after they were read; unread in-app
messages stay until read. An environment overrides either in its settings
(``activityFeedRetentionDays``, ``readMessageRetentionDays``, via ``PUT /management/v1/environments/{id}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

ACTIVITY_FEED_DAYS = 30
READ_MESSAGE_DAYS = 90
MAX_DAYS = 3650
ACTIVITY_KEY = "activityFeedRetentionDays"
READ_MESSAGE_KEY = "readMessageRetentionDays"
KEYS = (ACTIVITY_KEY, READ_MESSAGE_KEY)


@dataclass(frozen=True)
class RetentionPolicy:
    activity_feed: timedelta = timedelta(days=ACTIVITY_FEED_DAYS)
    read_messages: timedelta = timedelta(days=READ_MESSAGE_DAYS)

    @classmethod
    def of(cls, settings: dict[str, Any] | None) -> RetentionPolicy:
        """The policy of an environment's settings; a missing or invalid value keeps the default."""
        settings = settings or {}
        return cls(
            activity_feed=timedelta(days=_days(settings.get(ACTIVITY_KEY), ACTIVITY_FEED_DAYS)),
            read_messages=timedelta(days=_days(settings.get(READ_MESSAGE_KEY), READ_MESSAGE_DAYS)),
        )


def _days(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_DAYS else default


def problem(key: str, value: Any) -> str | None:
    """Why ``value`` cannot be the setting ``key`` (a whole number of days, 1 to 3650), or None."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        return f"The {key} field must be a whole number of days from 1 to {MAX_DAYS}."
    return None
