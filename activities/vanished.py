"""A definition deleted under a running notification: fail once, permanently, saying what is gone.

A run carries a snapshot of its workflow, but its rows (notifications, jobs, messages) point at the
workflow, subscriber and environment by foreign key. When one of those is deleted while the run
waits or retries, every insert fails the same way; retrying cannot help, so the activity fails
once with a reason an operator can read instead of retrying on a foreign key until it gives up.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from temporalio.exceptions import ApplicationError

_WHAT = {
    "notification_workflows": "the workflow", "subscribers": "the subscriber", "environments": "the environment",
    "integrations": "the integration", "tenants": "the tenant", "topics": "the topic", "notifications": "the run",
}


def _foreign_key_violation(exc: IntegrityError) -> bool:
    state = getattr(exc.orig, "sqlstate", None) or getattr(getattr(exc.orig, "__cause__", None), "sqlstate", None)
    return state == "23503" or "FOREIGN KEY constraint failed" in str(exc.orig)


def _gone(exc: IntegrityError) -> str:
    # PostgreSQL: 'Key (workflow_id)=(…) is not present in table "notification_workflows"'.
    cause = getattr(exc.orig, "__cause__", None)
    text = " ".join(str(part) for part in (exc.orig, getattr(exc.orig, "detail", ""), getattr(cause, "detail", "")))
    found = re.search(r'not present in table "(\w+)"', text)
    if found is not None and found[1] in _WHAT:
        return _WHAT[found[1]]
    return "a definition it refers to (workflow, subscriber or integration)"


@contextmanager
def definitions_may_vanish() -> Iterator[None]:
    """Turn a foreign-key violation into one permanent, explained failure of the activity."""
    try:
        yield
    except IntegrityError as exc:
        if not _foreign_key_violation(exc):
            raise
        raise ApplicationError(
            f"{_gone(exc)} was deleted while this notification was running; it cannot continue",
            type="definition_deleted", non_retryable=True,
        ) from exc
