"""Typed delivery errors raised by channel providers.

A provider never returns ``False`` and never logs-and-continues: it returns a ``SendResult`` or
raises one of these. The dispatch activity translates them in exactly one place, so the only
decision a provider makes is *which* class fits::

    DeliveryError
    ├── RetryableDeliveryError   transient: network failure, timeout, HTTP 408/429/5xx, SMTP 4xx,
    │                            provider rate limits. Temporal retries the activity.
    └── PermanentDeliveryError   retrying cannot help: bad credentials, HTTP 4xx other than
                                 408/429, SMTP 5xx, unknown recipient, invalid configuration.

``provider_code`` carries the remote code (HTTP status, SMTP reply code, or the provider's own
error string) so the activity feed can show it without parsing messages.
"""

from __future__ import annotations

__all__ = ["DeliveryError", "PermanentDeliveryError", "RetryableDeliveryError"]


class DeliveryError(Exception):
    """Base class of every delivery failure a provider raises.

    Args:
        message: Human-readable explanation, safe to show to an operator (never a secret).
        provider_code: The remote code (HTTP status, SMTP code, provider error name), if any.
    """

    def __init__(self, message: str, *, provider_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.provider_code = provider_code

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments are lost by the default Exception pickling; workers that
        # move errors between processes would otherwise get a TypeError instead of this error.
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


class RetryableDeliveryError(DeliveryError):
    """A transient failure: the same send may succeed later.

    Args:
        message: Human-readable explanation.
        provider_code: The remote code, if any.
        retry_after: Seconds the remote asked us to wait (``Retry-After``), if it said so.
    """

    def __init__(
        self, message: str, *, provider_code: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, provider_code=provider_code)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """A failure that retrying cannot fix; the step fails and the activity feed shows why."""


def _rebuild(cls: type[DeliveryError], message: str, state: dict[str, object]) -> DeliveryError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error
