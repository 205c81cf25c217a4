"""The unknown-outcome policy on a marker an earlier attempt left (activities.unknown_outcome)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from activities.ledger import Ledger
from activities.unknown_outcome import settle
from core.payloads import StepOutcome
from store.redrive import is_unknown

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def decide(status: str, policy: str, age: float, in_flight: float = 40.0) -> tuple[bool, Ledger, StepOutcome]:
    prior: Any = SimpleNamespace(status=status, provider_id="smtp", updated_at=NOW - timedelta(seconds=age))
    n: Any = SimpleNamespace(environment_id=uuid.uuid4(), id=uuid.uuid4(), subscriber_id="ada", transaction_id="tx")
    ledger, outcome = Ledger(step_id="mail"), StepOutcome(step_id="mail", recipients=1)
    send = settle(prior, n=n, job_id=uuid.uuid4(), key="k", channel="email", policy=policy,  # type: ignore[arg-type]
                  ledger=ledger, outcome=outcome, in_flight_seconds=in_flight, now=NOW)
    return send, ledger, outcome


@pytest.mark.parametrize("policy", ["at_least_once", "at_most_once"])
def test_a_young_marker_may_still_be_on_the_wire_and_waits(policy: str) -> None:
    send, ledger, _ = decide("transmitting", policy, age=5)
    assert not send and ledger.retry == ["k"] and ledger.retry_after == pytest.approx(35)
    assert not ledger.details  # nothing decided yet


def test_at_least_once_sends_an_old_marker_again_and_says_so() -> None:
    send, ledger, _ = decide("transmitting", "at_least_once", age=60)
    assert send and not ledger.retry
    assert "policy at_least_once" in ledger.details[0]["detail"]
    assert ledger.details[0]["raw"]["unknownOutcome"] is True


def test_at_most_once_records_an_old_marker_as_unknown() -> None:
    send, ledger, _ = decide("transmitting", "at_most_once", age=60)
    assert not send and ledger.finishes["k"]["status"] == "warning"
    assert "policy at_most_once" in ledger.finishes["k"]["error_text"]
    # What re-drive's include "unknown" picks up (store/redrive.py): the one definition of the outcome.
    assert is_unknown(ledger.finishes["k"]["status"], ledger.finishes["k"]["error_text"])
    assert not is_unknown("warning", "Step skipped: no email address")


def test_a_send_committed_before_the_worker_stopped_is_recorded_not_resent() -> None:
    send, ledger, outcome = decide("sent", "at_least_once", age=1)
    assert not send and outcome.sent == 1 and list(ledger.jobs.values()) == ["completed"]
