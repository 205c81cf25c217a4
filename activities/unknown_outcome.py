"""What a retried step does with a message an earlier attempt left behind.

A message row is committed as ``transmitting`` just before its own send and as ``sent`` just after it
(``activities.transmission``), so a worker that dies leaves at most the sends that were on the wire
undecided. For those the channel's policy decides:

- ``at_least_once`` (default for email, SMS, push and chat): send again under the same idempotency
  key, so an email carries the same ``Message-ID`` and a provider with idempotency keys drops the
  copy; a duplicate is possible only where the first outcome was unknown, and is then recognisable;
- ``at_most_once``: do not send again; the message is recorded with ``outcome unknown``.

Either way the execution details say what happened and under which policy (activity feed, explain).

A marker younger than ``in_flight_seconds`` is not decided yet: an attempt Temporal gave up on (a
heartbeat lost while the Temporal server restarted) may still be sending it, and resending now would
duplicate a message that is not unknown at all. That delivery is retried later instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from activities.ledger import Ledger
from core.payloads import StepOutcome
from core.settings import UNKNOWN_OUTCOME_DEFAULTS, UnknownOutcomePolicy
from store.models import Message, Notification
from store.redrive import UNKNOWN_PREFIX, UNKNOWN_STATUS

Policy = UnknownOutcomePolicy
AT_LEAST_ONCE: Policy = "at_least_once"
AT_MOST_ONCE: Policy = "at_most_once"
# store/redrive.py recognises an unknown outcome by this status and prefix (re-drive's include "unknown").
UNKNOWN_TEXT = f"{UNKNOWN_PREFIX}: the worker stopped while the message was being transmitted"


def policy_for(channel: str, policies: Mapping[str, str]) -> Policy:
    chosen = policies.get(channel, UNKNOWN_OUTCOME_DEFAULTS.get(channel, AT_MOST_ONCE))
    return AT_LEAST_ONCE if chosen == AT_LEAST_ONCE else AT_MOST_ONCE


def _age_seconds(prior: Message, now: datetime) -> float:
    stamp = prior.updated_at if prior.updated_at.tzinfo else prior.updated_at.replace(tzinfo=UTC)
    return (now - stamp).total_seconds()


def settle(
    prior: Message, *, n: Notification, job_id: uuid.UUID, key: str, channel: str, policy: Policy,
    ledger: Ledger, outcome: StepOutcome, in_flight_seconds: float = 0.0, now: datetime | None = None,
) -> bool:
    """Record what an earlier attempt left; True when the message must be sent (again) now."""
    if prior.status == "transmitting" and in_flight_seconds > 0:
        wait = in_flight_seconds - _age_seconds(prior, now or datetime.now(UTC))
        if wait > 0:  # perhaps still on the wire from an attempt that has not noticed it was given up
            ledger.retry.append(key)
            ledger.retry_after = max(ledger.retry_after or 0.0, wait)
            return False
    facts = {"channel": channel, "provider_id": prior.provider_id,
             "raw": {"unknownOutcome": True, "policy": policy, "idempotencyKey": key}}
    if prior.status == "transmitting":
        if policy == AT_LEAST_ONCE:
            ledger.note(n, job_id, "warning", "The worker stopped while this message was being transmitted; "
                        "sending it again with the same idempotency key (Message-ID), policy at_least_once", **facts)
            return True
        ledger.note(n, job_id, "warning", "The worker stopped while this message was being transmitted; "
                    "it was not sent again (policy at_most_once): outcome unknown", **facts)
        ledger.jobs[job_id] = "completed"
        ledger.finishes[key] = {"status": UNKNOWN_STATUS, "error_text": f"{UNKNOWN_TEXT} (policy at_most_once)"}
        return False
    if prior.status == "sent":
        # Sent and committed, but the worker stopped before the attempt's last transaction.
        outcome.sent += 1
        ledger.jobs[job_id] = "completed"
        ledger.note(n, job_id, "success", "Message sent (recorded after the worker that sent it stopped)",
                    channel=channel, provider_id=prior.provider_id)
    return False
