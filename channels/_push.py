"""What the push providers share: turning per-token outcomes into one result or one error.

A push message goes to every token of a subscriber. When some tokens succeed the message is out,
and retrying would notify those devices twice, so a partial failure is a success whose ``detail``
lists the failed tokens (the host can forget tokens reported as unregistered). Only when every
token fails does ``send`` raise, and it retries only if every failure was transient.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.base import SendResult
from channels.errors import PermanentDeliveryError, RetryableDeliveryError


@dataclass(frozen=True)
class TokenOutcome:
    """The remote's answer for one device token."""

    token: str
    message_id: str | None = None
    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None


def settle(provider_id: str, outcomes: list[TokenOutcome]) -> SendResult:
    """The ``SendResult`` for ``outcomes``, or the error to raise when no token succeeded."""
    delivered = [o for o in outcomes if o.error is None]
    failed = [o for o in outcomes if o.error is not None]
    if delivered:
        return SendResult(
            provider_id=provider_id,
            provider_message_id=delivered[0].message_id,
            detail={
                "message_ids": [o.message_id for o in delivered],
                "failed_tokens": {o.token: o.error for o in failed},
            },
        )
    summary = "; ".join(f"{o.token[:12]}…: {o.error}" for o in failed)
    code = failed[0].error if failed else None
    if failed and all(o.retryable for o in failed):
        waits = [o.retry_after for o in failed if o.retry_after is not None]
        raise RetryableDeliveryError(
            f"{provider_id}: every token failed: {summary}",
            provider_code=code,
            retry_after=max(waits) if waits else None,
        )
    raise PermanentDeliveryError(f"{provider_id}: every token failed: {summary}", provider_code=code)
