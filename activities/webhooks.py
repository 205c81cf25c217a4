"""One webhook attempt (one HTTP request, recorded) and the dead-lettering of a delivery (§1.8).

Each attempt is one activity that Temporal never retries: the workflow owns the schedule, so a
worker crash resends at most the attempt in flight, with the same ``webhook-id``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from temporalio import activity

from activities.heartbeat import heartbeating
from activities.publishing_models import AttemptInput, AttemptResult, FinishInput, WebhookPolicy
from store import publishing, webhooks
from store.base import utcnow
from store.crypto import CredentialCipher
from store.engine import Sessions
from store.models import Environment, PublishedEvent, WebhookDelivery, WebhookSubscription
from store.realtime import RealtimeBus, event_id_for
from store.webhook_signing import signature_headers

EXCERPT_BYTES = 4096
USER_AGENT = "Clarion-Webhooks/1"


class Refused(Exception):
    """The address is not one Clarion may call (SSRF guard)."""


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


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
                or ip.is_unspecified)


async def guard(url: str, allow_insecure: bool) -> None:
    """Refuse ``http://`` and non-public addresses unless the environment allows insecure webhooks."""
    if allow_insecure:
        return
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise Refused("only https:// webhook URLs are allowed in this environment")
    infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    if not infos or not all(_public(str(info[4][0])) for info in infos):
        raise Refused(f"{parts.hostname} resolves to a private, loopback or link-local address")


def retry_after(response: httpx.Response, cap: float) -> float | None:
    if response.status_code not in (429, 503):
        return None
    raw = response.headers.get("retry-after", "").strip()
    if not raw:
        return None
    if raw.isdigit():
        return min(float(raw), cap)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return min(max((when - datetime.now(UTC)).total_seconds(), 0.0), cap)


async def send(url: str, body: bytes, headers: dict[str, str], policy: WebhookPolicy) -> tuple[int, str, float | None]:
    """POST once, no redirects; the status, the first 4 KiB of the answer, and any Retry-After."""
    timeout = httpx.Timeout(policy.timeout_seconds, connect=policy.connect_timeout_seconds)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        async with asyncio.timeout(policy.timeout_seconds):
            async with client.stream("POST", url, content=body, headers=headers) as response:
                excerpt = b""
                async for chunk in response.aiter_bytes():
                    excerpt += chunk
                    if len(excerpt) >= EXCERPT_BYTES:
                        break
        return response.status_code, excerpt[:EXCERPT_BYTES].decode("utf-8", "replace"), retry_after(
            response, policy.retry_after_cap_seconds
        )


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
                await guard(url, allow)
                status, excerpt, wait = await send(url, body, headers, inp.policy)
        except Refused as exc:
            error = str(exc)
        except (httpx.HTTPError, TimeoutError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000] or type(exc).__name__
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
