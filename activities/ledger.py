"""What one step attempt decided, gathered in memory and written in one transaction at its end."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from activities.telemetry import current_trace_id
from channels import InAppMessage
from core.payloads import StepOutcome, TriggerContext
from store.models import Notification, Subscriber


@dataclass
class Delivery:
    key: str
    notification: Notification
    subscriber: Subscriber
    job_id: uuid.UUID
    message: BaseModel
    # Its run's: the trigger context, the step's attempts, and the outcome its result counts in.
    context: TriggerContext
    max_attempts: int
    outcome: StepOutcome


@dataclass
class Ledger:
    """What one attempt decided, written in one transaction at its end."""

    step_id: str
    details: list[dict[str, Any]] = field(default_factory=list)
    jobs: dict[uuid.UUID, str] = field(default_factory=dict)
    retry: list[str] = field(default_factory=list)
    # The longest Retry-After a remote asked for among the deliveries to retry.
    retry_after: float | None = None
    # Message writes, applied with the details in the attempt's last transaction.
    inserts: list[dict[str, Any]] = field(default_factory=list)
    finishes: dict[str, dict[str, Any]] = field(default_factory=dict)
    forget: list[str] = field(default_factory=list)
    counts: list[Callable[[], None]] = field(default_factory=list)

    def note(self, n: Notification, job_id: uuid.UUID | None, status: str, detail: str, **extra: Any) -> None:
        self.details.append({
            "environment_id": n.environment_id, "notification_id": n.id, "job_id": job_id,
            "subscriber_id": n.subscriber_id, "transaction_id": n.transaction_id, "step_id": self.step_id,
            "status": status, "trace_id": current_trace_id(),
            "detail": detail, **extra,
        })

    def count(self, count: Callable[[], None], *, on_commit: bool) -> None:
        """Count a provider call now (it happened, even if this attempt dies before its commit) or, for an
        in-app message, which only the commit delivers, once committed: a retry would count it twice."""
        if on_commit:
            self.counts.append(count)
        else:
            count()

    def committed(self) -> None:
        for count in self.counts:
            count()


class Collector:
    """An in-app sink that gathers rows so a whole batch is inserted in one statement."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    async def __call__(self, message: InAppMessage, *, idempotency_key: str) -> str:
        message_id = uuid.uuid4()
        self.rows[idempotency_key] = {
            "id": message_id, "subject": message.subject, "content": message.content, "avatar": message.avatar,
            "cta": message.cta, "payload": message.payload,
        }
        return str(message_id)
