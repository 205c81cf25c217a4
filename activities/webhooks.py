"""One webhook attempt (one HTTP request, recorded) and the dead-lettering of a delivery (§1.8).

Each attempt is one activity that Temporal never retries: the workflow owns the schedule, so a
worker crash resends at most the attempt in flight, with the same ``webhook-id``.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from temporalio import activity

from activities.heartbeat import heartbeating
from channels.errors import DeliveryError, PermanentDeliveryError
from channels.outbound import OutboundSender
from channels.signing import signature_headers
from core import metrics
from core.publishing_payloads import AttemptInput, AttemptResult, FinishInput
from store import publishing, webhooks
from store.base import utcnow
from store.crypto import CredentialCipher
from store.engine import Sessions
from store.models import Environment, PublishedEvent, WebhookDelivery, WebhookSubscription
from store.realtime import RealtimeBus, event_id_for

EXCERPT_BYTES = 4096
USER_AGENT = "Clarion-Webhooks/1"


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def body_of(event: PublishedEvent, delivery: WebhookDelivery, sub: WebhookSubscription) -> bytes:
    """The request body: the Standard Webhooks style envelope, or ``data`` exactly as published."""
    if sub.payload_format == "data":
        value: Any = event.data
    else:
        value = {"id": event.event_id, "type": event.type, "timestamp": _stamp(event.created_at),
                 "topic": delivery.topic, "audiences": event.audiences, "environmentId": str(event.environment_id),
                 "data": event.data}
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def https_only(url: str, allow_insecure: bool) -> None:
    """Refuse ``http://`` unless the environment allows insecure webhooks (dev mode, tests)."""
    if not allow_insecure and urlsplit(url).scheme != "https":
        raise PermanentDeliveryError("refused: only https:// webhook URLs are allowed in this environment")


class WebhookActivities:
    def __init__(self, *, sessions: Sessions, cipher: CredentialCipher, bus: RealtimeBus) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._bus = bus

    @activity.defn
    async def attempt_webhook(self, inp: AttemptInput) -> AttemptResult:
        """Send the delivery's request once and record the attempt; never raises for a bad answer."""
        async with self._sessions() as session:
            delivery = await session.get(WebhookDelivery, uuid.UUID(inp.delivery_id))
            sub = await session.get(WebhookSubscription, delivery.subscription_id) if delivery else None
            event = delivery and await publishing.get(
                session=session, environment_id=delivery.environment_id, event_id=delivery.event_id
            )
            if delivery is not None and delivery.status == "succeeded":
                return AttemptResult(outcome="succeeded")  # recorded before a crash: never send it again
            if delivery is None or sub is None or not event or delivery.status == "deadlettered":
                return AttemptResult(outcome="missing")
            env = await session.get(Environment, delivery.environment_id)
            allow = bool((env.settings if env else {}).get("allowInsecureWebhooks", inp.policy.allow_insecure_default))
            body = body_of(event, delivery, sub)
            headers = {
                "Content-Type": "application/json", "User-Agent": USER_AGENT,
                **signature_headers(webhooks.signing_secrets(self._cipher, sub), webhook_id=delivery.webhook_id,
                                    body=body, now_ms=int(time.time() * 1000), qflow=sub.qflow_signature),
                "Clarion-Event-Id": event.event_id, "Clarion-Event-Type": event.type,
                "Clarion-Subscription-Id": str(sub.id), "Clarion-Attempt": str(inp.number),
            }
            url, more = sub.webhook_url, inp.number < delivery.max_attempts
        started, clock = utcnow(), time.monotonic()
        status: int | None = None
        excerpt: str | None = None
        error: str | None = None
        wait: float | None = None
        try:
            async with heartbeating():
                https_only(url, allow)
                # The one outbound sender: checks and pins the resolved address, never follows redirects.
                response = await OutboundSender(allow_private=allow).post(
                    url, content=body, headers=headers, timeout=inp.policy.timeout_seconds,
                    connect_timeout=inp.policy.connect_timeout_seconds, excerpt_bytes=EXCERPT_BYTES,
                    retry_after_cap=inp.policy.retry_after_cap_seconds,
                )
            status, excerpt = response.status, response.excerpt
            # Only these two answers ask the sender to wait (§1.8).
            wait = response.retry_after if status in (429, 503) else None
        except DeliveryError as exc:
            error = str(exc)[:1000] or type(exc).__name__
        duration = int((time.monotonic() - clock) * 1000)
        succeeded = status is not None and 200 <= status < 300
        if status is not None and not succeeded and error is None:
            error = f"HTTP {status}"
        async with self._sessions() as session, session.begin():
            delivery = await session.get(WebhookDelivery, uuid.UUID(inp.delivery_id))
            if delivery is None:
                return AttemptResult(outcome="missing")
            await webhooks.record_attempt(
                session=session, delivery=delivery, attempt_key=inp.attempt_key, number=inp.number,
                started_at=started, duration_ms=duration, status=status, body=excerpt, error=error,
                succeeded=succeeded,
            )
            if not succeeded and more and inp.wait_if_failed is not None and status != 410:
                delivery.next_attempt_at = utcnow() + timedelta(seconds=max(inp.wait_if_failed, wait or 0))
            view = webhooks.as_delivery(delivery)
        if not succeeded:
            await self._bus.publish(delivery.environment_id, "webhook.delivery.failed", view,
                                    message="WEBHOOK_DELIVERY_FAILED", event_id=event_id_for(inp.attempt_key))
        outcome = "succeeded" if succeeded else "gone" if status == 410 else "failed"
        metrics.WEBHOOK_ATTEMPTS.labels(outcome).inc()
        return AttemptResult(outcome=outcome, retry_after_seconds=wait)

    @activity.defn
    async def finish_webhook(self, inp: FinishInput) -> None:
        """Dead-letter the delivery (410 also disables the subscription) and announce it."""
        async with self._sessions() as session, session.begin():
            delivery = await session.get(WebhookDelivery, uuid.UUID(inp.delivery_id))
            if delivery is None:
                return
            await webhooks.deadletter(session=session, delivery=delivery, disable=inp.disable)
            view = webhooks.as_delivery(delivery)
            key = f"deadletter:{delivery.workflow_id}"
        await self._bus.publish(delivery.environment_id, "webhook.delivery.deadlettered", view,
                                message="WEBHOOK_DELIVERY_DEADLETTERED", event_id=event_id_for(key))
