"""The activities behind action steps and step conditions (conditions, throttle, digest, schedules), for the worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.conditions import ConditionActivities
from activities.digest import DigestActivities
from activities.schedule import ScheduleActivities
from activities.throttle import ThrottleActivities
from store.engine import Sessions


def action_step_activities(sessions: Sessions) -> list[Callable[..., Any]]:
    conditions = ConditionActivities(sessions=sessions)
    throttle = ThrottleActivities(sessions=sessions)
    digest = DigestActivities(sessions=sessions)
    schedule = ScheduleActivities(sessions=sessions)
    return [conditions.check_conditions, throttle.throttle, digest.enter_digest, digest.close_digest,
            schedule.next_instant]
