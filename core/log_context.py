"""What a log line is about (request, environment, transaction, subscriber, workflow), carried in
a context variable so every log call on the way picks it up without being handed it.

``scope()`` opens a fresh set of fields (one request, one activity) and restores the outer one on
exit; ``bind()`` adds fields to the set in force. The log formatter of the composition root
(``clarion/observability/logs.py``) reads ``current()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# Log field names, in the casing Novu's API uses for the same things.
REQUEST_ID = "requestId"
ENVIRONMENT_ID = "environmentId"
TRANSACTION_ID = "transactionId"
SUBSCRIBER_ID = "subscriberId"
WORKFLOW = "workflow"

_fields: ContextVar[dict[str, str] | None] = ContextVar("clarion_log_fields", default=None)


@contextmanager
def scope(**fields: str | None) -> Iterator[dict[str, str]]:
    """A new set of fields (starting from the outer ones) for the duration of the block."""
    inner = {**(_fields.get() or {}), **{k: v for k, v in fields.items() if v}}
    token = _fields.set(inner)
    try:
        yield inner
    finally:
        _fields.reset(token)


def bind(**fields: str | None) -> None:
    """Add fields to the set in force (a request's scope, once its environment is known)."""
    current = _fields.get()
    values = {k: v for k, v in fields.items() if v}
    if current is None:
        _fields.set(values)
    else:
        current.update(values)


def current() -> dict[str, str]:
    return _fields.get() or {}
