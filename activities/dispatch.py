"""The step activity: preferences, rendering and delivery for one batch of recipients.

Exactly once: every delivery has an idempotency key (run, step, subscriber). In-app messages are
inserted once per key. Immediately before each external send, a "transmitting" marker row is
committed under its key, and "sent" immediately after (``activities.transmission``). The only window
without a guarantee is a worker dying during that one send: the retry then applies the channel's
unknown-outcome policy (``activities.unknown_outcome``): send again under the same key (same
Message-ID), or record the outcome as unknown.

Retries and failover: a temporary failure (``RetryableDeliveryError``) makes the activity fail
with ``next_retry_delay`` from ``Backoff``, and only the failed deliveries are sent again. A
permanent failure, or a temporary one on the last attempt, moves that delivery to the channel's
next integration within the same attempt; the marker row follows it (its ``provider_id``). Every
provider attempt is an execution detail with its provider, outcome and duration.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from functools import partial
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import lifecycle
from activities.backoff import Backoff
from activities.context import recipient
from activities.email_tracking import EmailTracking
from activities.evidence import preference_evidence
from activities.heartbeat import heartbeating
from activities.ledger import Collector, Delivery, Ledger
from activities.lifecycle import LifecycleEmitter
from activities.live import LiveEvents
from activities.mail_headers import MailHeaders
from activities.providers import Candidate, ProviderSource
from activities.step_group import GroupItem, LoadedGroup, load_group
from activities.telemetry import delivery_attempt
from activities.transmission import MarkerKept, Transmitter
from activities.unknown_outcome import policy_for, settle
from activities.vanished import definitions_may_vanish
from channels import (
    Channel,
    ChannelProvider,
    DeliveryError,
    PermanentDeliveryError,
    ProviderContext,
    RetryableDeliveryError,
)
from channels.messages import EmailMessage
from channels.steps import STEP_KINDS, Unreachable, email_extras
from core.payloads import StepInput, StepOutcome, StepSpec
from store import delivery_ledger as deliveries
from store.engine import Sessions
from store.models import Notification, Subscriber
from templates import TemplateRenderer, TemplateRenderError

log = logging.getLogger(__name__)
FINAL = frozenset({"completed", "skipped", "failed"})


class DispatchActivities:
    """Runs one channel step for one batch: decide, render, deliver, record."""

    def __init__(
        self, *, sessions: Sessions, renderer: TemplateRenderer, providers: ProviderSource, concurrency: int = 16,
        backoff: Backoff | None = None, live: LiveEvents | None = None, allow_private_addresses: bool = False,
        unknown_outcome: Mapping[str, str] | None = None, unknown_after_seconds: float = 0.0,
    ) -> None:
        self._sessions = sessions
        self._transmitter = Transmitter(sessions, in_flight_seconds=unknown_after_seconds)
        self._unknown_outcome = dict(unknown_outcome or {})
        self._unknown_after = unknown_after_seconds
        self._allow_private = allow_private_addresses
        self._live = live or LiveEvents(bus=None, sessions=sessions)
        self._renderer = renderer
        self._providers = providers
        self._concurrency = concurrency
        self._backoff = backoff or Backoff()
        self.mail_headers: MailHeaders | None = None
        self.lifecycle: LifecycleEmitter | None = None
        self.email_tracking: EmailTracking | None = None

    @activity.defn
    async def send_step(self, inp: StepInput) -> StepOutcome:
        """Deliver step ``inp.step_index`` to every recipient of ``inp.batch`` that wants it."""
        async with heartbeating():
            result = (await self.send_group([inp]))[0]
        if isinstance(result, ApplicationError):
            raise result
        return result

    async def send_group(self, group: list[StepInput]) -> list[StepOutcome | ApplicationError]:
        """``send_step`` for several runs at once (``activities.step_group.group_key`` alike): each run's
        outcome, or the error its own ``send_step`` would have raised, in its slot."""
        with definitions_may_vanish():
            return await self._send(group)

    async def _send(self, group: list[StepInput]) -> list[StepOutcome | ApplicationError]:
        ctx = group[0].context
        step = ctx.workflow.steps[group[0].step_index]
        kind = STEP_KINDS.get(step.type)
        if kind is None:
            raise ApplicationError(f"unknown step type {step.type!r}", type="unknown_step", non_retryable=True)
        async with self._sessions() as session, session.begin():
            loaded = await load_group(session, group, step, kind)
        await lifecycle.start_committed(session, ctx.environment_id)  # subscriber.created of inline subscribers
        ledger = Ledger(step_id=step.id)
        # Rendering runs in a thread: a slow template (stopped by its budget) never holds the event loop.
        pending = await asyncio.to_thread(lambda: [
            d for item in loaded.items for n, sub in item.claimed if (d := self._plan(item, n, sub, loaded, ledger))
        ])
        if pending and self.email_tracking is not None:  # opt-in open/click tracking (activities/email_tracking)
            pending = await self.email_tracking.decorate(ctx.environment_id, pending)
        for part in _by_overrides(pending):
            await self._deliver(step, kind.channel, part, ledger)
        async with self._sessions() as session, session.begin():
            await deliveries.insert_messages(session=session, rows=ledger.inserts)
            await deliveries.finish_messages(session=session, updates=ledger.finishes)
            await deliveries.forget_messages(session=session, keys=ledger.forget)
            await deliveries.add_details(session=session, rows=ledger.details)
            await deliveries.set_job_status(session=session, statuses=ledger.jobs)
        ledger.committed()
        await self._live.notifications_created(group[0], loaded.created)  # after the commits, as live events must be
        # An earlier attempt may have committed its messages and died before it published them; their
        # event ids repeat, so listeners that did get them drop the repeats.
        await self._live.step_committed(group[0], [*loaded.earlier, *(r["idempotency_key"] for r in ledger.inserts),
                                                   *ledger.finishes])
        keys = [k for item in loaded.items for k in item.keys.values()]
        if self.lifecycle is not None and kind.channel != Channel.IN_APP:  # message.sent/failed (activities/lifecycle)
            await self.lifecycle.after_step(ctx.environment_id, keys)
        retry, tried = set(ledger.retry), Counter(id(d.outcome) for d in pending)
        results: list[StepOutcome | ApplicationError] = []
        for item in loaded.items:
            if again := len(retry.intersection(item.keys.values())):
                delay = self._backoff.delay(kind.channel.value, activity.info().attempt, retry_after=ledger.retry_after)
                results.append(ApplicationError(
                    f"{again} of {tried[id(item.outcome)]} deliveries failed temporarily; retrying them",
                    type="retryable_delivery", next_retry_delay=timedelta(seconds=delay),
                ))
                continue
            item.outcome.stop_run = bool(step.controls.get("stopOnFailure")) and item.outcome.failed > 0
            results.append(item.outcome)
        return results

    def _plan(
        self, item: GroupItem, n: Notification, sub: Subscriber, loaded: LoadedGroup, ledger: Ledger
    ) -> Delivery | None:
        """Decide one recipient: already handled, skipped, failed to render, or to be delivered."""
        ctx, outcome, content = item.inp.context, item.outcome, item.content
        step = ctx.workflow.steps[item.inp.step_index]
        kind = STEP_KINDS[step.type]
        job_id, key = loaded.jobs[n.id].id, item.keys[n.id]
        if loaded.jobs[n.id].status in FINAL:
            return None  # an earlier attempt decided this recipient and recorded why
        prior = loaded.earlier.get(key)
        if prior is not None and not settle(prior, n=n, job_id=job_id, key=key, channel=step.type, ledger=ledger,
                                            outcome=outcome, policy=policy_for(step.type, self._unknown_outcome),
                                            in_flight_seconds=self._unknown_after):
            return None  # an earlier attempt finished it, or its unknown outcome is not sent again
        global_row, workflow_row = loaded.prefs.get(sub.id, (None, None))
        allowed, why = content.allowed(
            step.type, workflow=ctx.workflow, global_row=global_row, workflow_row=workflow_row
        )
        if not allowed:
            outcome.skipped += 1
            ledger.jobs[job_id] = "skipped"
            ledger.note(n, job_id, "success", f"Step skipped: {step.type} is off ({why})", channel=step.type,
                        raw=preference_evidence(why, channel=step.type, workflow=ctx.workflow, global_row=global_row,
                                                workflow_row=workflow_row))
            return None
        try:
            rendered = content.render(self._renderer, kind, step, item.base, sub)  # in the layout, with t()
            message = kind.build_message(
                rendered, recipient=recipient(sub), payload=ctx.payload, controls=step.controls, key=key
            )
            if isinstance(message, EmailMessage):  # Novu's overrides.email and payload.attachments
                message = email_extras.apply(message, overrides=ctx.overrides, payload=ctx.payload)
            if self.mail_headers is not None:  # List-Unsubscribe (activities/mail_headers.py)
                message = self.mail_headers.decorate(message, item.inp, sub.subscriber_id)
        except Unreachable as exc:
            outcome.skipped += 1
            ledger.jobs[job_id] = "skipped"
            ledger.note(n, job_id, "warning", f"Step skipped: {exc}", channel=step.type)
            return None
        except (TemplateRenderError, ValueError) as exc:  # ValueError: also pydantic's ValidationError
            outcome.failed += 1
            ledger.jobs[job_id] = "failed"
            ledger.note(n, job_id, "failed", f"Rendering failed: {exc}", channel=step.type)
            return None
        return Delivery(key, n, sub, job_id, message, context=ctx, max_attempts=item.inp.max_attempts,
                        outcome=outcome)

    async def _deliver(self, step: StepSpec, channel: Channel, pending: list[Delivery], ledger: Ledger) -> None:
        ctx = pending[0].context  # the part shares its environment and overrides (``_by_overrides``)
        collector = Collector()
        candidates = await self._providers.providers_for(
            channel, environment_id=ctx.environment_id, overrides=ctx.overrides,
            context=ProviderContext(in_app_sink=collector, allow_private_addresses=self._allow_private),
        )
        if not candidates:
            for d in pending:
                d.outcome.failed += 1
                ledger.jobs[d.job_id] = "failed"
                ledger.note(d.notification, d.job_id, "failed", f"No active integration for the {channel} channel",
                            channel=channel.value, source="credentials")
            return
        attempt = activity.info().attempt
        remaining = pending
        for index, candidate in enumerate(candidates):
            provider_id = candidate.provider.id
            rows = {d.key: self._message_row(step, d, provider_id) for d in remaining}
            # Each send commits its own marker just before it (on failover: names the provider tried).
            marked = None if channel == Channel.IN_APP else rows
            results = await self._send_all(candidate.provider, remaining, marked, first=index == 0)
            if marked is not None:  # how long sends stayed undecided (bench/chaos.py reads these lines)
                log.info("undecided windows (marker to sent): %s", self._transmitter.window_summary())
            if channel == Channel.IN_APP:
                ledger.inserts += [rows[k] | {**collector.rows[k], "status": "sent"}
                                   for k in rows if k in collector.rows]
            more = index + 1 < len(candidates)
            next_round: list[Delivery] = []
            for d, (result, ms) in zip(remaining, results, strict=True):
                if isinstance(result, MarkerKept):  # contended or undecided: neither forget nor finish its marker
                    ledger.note(d.notification, d.job_id, "warning", f"{result}; decided by a later attempt",
                                channel=channel.value, provider_id=provider_id)
                    ledger.retry.append(d.key)
                    ledger.retry_after = max(ledger.retry_after or 0.0, 5.0)
                    continue
                verdict, values = self._record(d, result, ms, candidate, channel, ledger,
                                               last_attempt=attempt >= d.max_attempts, more=more)
                ledger.count(partial(delivery_attempt, channel.value, provider_id, verdict, values, ms,
                                     d.subscriber.subscriber_id), on_commit=channel == Channel.IN_APP)
                if verdict == "next":
                    next_round.append(d)
                elif channel != Channel.IN_APP:
                    if values is None:
                        ledger.forget.append(d.key)
                    else:
                        ledger.finishes[d.key] = values
            remaining = next_round
            if not remaining:
                return

    async def _send_all(
        self, provider: ChannelProvider[Any, Any], pending: list[Delivery],
        rows: Mapping[str, dict[str, Any]] | None, *, first: bool,
    ) -> list[tuple[Any, int]]:
        gate = asyncio.Semaphore(self._concurrency)

        async def one(d: Delivery) -> tuple[Any, int]:
            async with gate:
                row = rows[d.key] if rows is not None else None
                return await self._transmitter.send(provider, d.message, key=d.key, row=row, first=first)

        return await asyncio.gather(*(one(d) for d in pending))

    def _record(
        self, d: Delivery, result: Any, ms: int, candidate: Candidate, channel: Channel, ledger: Ledger, *,
        last_attempt: bool, more: bool,
    ) -> tuple[str, dict[str, Any] | None]:
        """Note one send's outcome and decide: ``done`` (with the message's final columns, or None to
        allow a resend on the next attempt) or ``next`` (try the next integration now)."""
        n, provider_id, outcome = d.notification, candidate.provider.id, d.outcome
        facts = {"channel": channel.value, "provider_id": provider_id, "duration_ms": ms}
        if not isinstance(result, BaseException):
            outcome.sent += 1
            ledger.jobs[d.job_id] = "completed"
            ledger.note(n, d.job_id, "success", "Message sent", **facts,
                        raw={**result.detail, "integration": candidate.integration})
            return "done", {"status": "sent", "provider_message_id": result.provider_message_id,
                            "provider_id": provider_id}
        code = getattr(result, "provider_code", None)
        raw = {"providerCode": code, "integration": candidate.integration} if code else \
            {"integration": candidate.integration}
        text = str(result) if isinstance(result, DeliveryError) else f"{type(result).__name__}: {result}"
        if not isinstance(result, PermanentDeliveryError) and not last_attempt:
            ledger.retry.append(d.key)
            if isinstance(result, RetryableDeliveryError) and result.retry_after is not None:
                ledger.retry_after = max(ledger.retry_after or 0.0, result.retry_after)
            ledger.note(n, d.job_id, "warning", f"Delivery by {candidate.integration} failed, will retry: {text}",
                        **facts, raw=raw)
            return "done", None
        if more:
            ledger.note(n, d.job_id, "warning",
                        f"Delivery by {candidate.integration} failed, trying the next integration: {text}",
                        **facts, raw=raw)
            return "next", None
        outcome.failed += 1
        ledger.jobs[d.job_id] = "failed"
        ledger.note(n, d.job_id, "failed", f"Delivery failed: {text}", **facts, raw=raw)
        return "done", {"status": "error", "error_text": text}

    def _message_row(self, step: StepSpec, d: Delivery, provider_id: str) -> dict[str, Any]:
        ctx, n = d.context, d.notification
        msg = d.message.model_dump()
        return {
            "environment_id": n.environment_id, "idempotency_key": d.key, "notification_id": n.id,
            "job_id": d.job_id, "workflow_id": n.workflow_id, "subscriber_pk": d.subscriber.id,
            "subscriber_id": d.subscriber.subscriber_id, "transaction_id": ctx.transaction_id,
            "channel": step.type, "step_id": step.id,
            "subject": msg.get("subject"), "content": msg.get("html") or msg.get("content") or msg.get("text") or "",
            "payload": ctx.payload, "tags": ctx.workflow.tags, "provider_id": provider_id, "status": "transmitting",
        }


def _by_overrides(pending: list[Delivery]) -> list[list[Delivery]]:
    """The deliveries in parts whose runs choose integrations alike (their ``overrides``)."""
    parts: dict[str, list[Delivery]] = {}
    for d in pending:
        overrides = d.context.overrides
        parts.setdefault(json.dumps(overrides, sort_keys=True, default=str) if overrides else "", []).append(d)
    return list(parts.values())
