"""Telling an outage of the database from a bug: during a PostgreSQL restart a request must get a
503 with ``Retry-After`` (in the dialect's error format), not a 500."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

RETRY_AFTER_SECONDS = 5
# SQLSTATE class 08 (connection exception) and the shutdown/start-up states of class 57.
_OUTAGE_STATES = ("08", "57P01", "57P02", "57P03")


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def is_database_outage(exc: BaseException) -> bool:
    """True when the error says the database cannot be reached right now (not that a query is wrong)."""
    for cause in _causes(exc):
        if isinstance(cause, OperationalError | InterfaceError | PoolTimeout | ConnectionError):
            return True
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return True
        state = getattr(cause, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_OUTAGE_STATES):
            return True
        if isinstance(cause, OSError) and not isinstance(cause, FileNotFoundError):
            return True  # connection refused, reset, unreachable host, name resolution
    return False
