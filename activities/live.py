"""Live events of the trigger pipeline (event-apis.md §3.3), published on the bus after each commit.

Event ids come from the producing delivery's idempotency key, so a retried activity repeats them
and the hub drops the repeats. Publishing never fails an activity: the bus is best effort.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel
from temporalio import activity

from activities import lifecycle
from core.payloads import StepInput
from store import delivery_ledger as deliveries
from store import inbox_counts, retention
from store.engine import Sessions
from store.models import Message, Notification
from store.realtime import NullBus, RealtimeBus, event_id_for

IN_APP = "in_app"


def _iso(m: Message) -> str:
    return m.created_at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{m.created_at.microsecond // 1000:03d}Z"


def message_body(m: Message, workflow_identifier: str, **extra: Any) -> dict[str, Any]:
    return {
        "messageId": str(m.id), "notificationId": str(m.notification_id), "transactionId": m.transaction_id,
        "workflowIdentifier": workflow_identifier, "stepId": m.step_id, "subscriberId": m.subscriber_id,
        "channel": m.channel, "providerId": m.provider_id, "status": m.status, **extra,
    }


def _action(cta: dict[str, Any], which: str) -> dict[str, Any] | None:
    buttons = ((cta.get("action") or {}).get("buttons")) or []
    wanted = [b for b in buttons if isinstance(b, dict) and b.get("type") == which]
    if not wanted:
        return None
    button = wanted[0]
    return {"label": button.get("content", ""), "isCompleted": (cta.get("action") or {}).get("status") == "done"}


def inbox_item(m: Message) -> dict[str, Any]:
    """The native v2 inbox item of a stored in-app message."""
    cta = m.cta or {}
    item: dict[str, Any] = {
        "id": str(m.id), "transactionId": m.transaction_id, "subject": m.subject, "body": m.content,
        "to": {"id": str(m.subscriber_pk), "subscriberId": m.subscriber_id}, "isRead": m.read, "isSeen": m.seen,
        "isArchived": m.archived, "isSnoozed": False, "createdAt": _iso(m), "channelType": IN_APP,
        "severity": "none", "data": m.payload or {},
    }
    for which, name in (("primary", "primaryAction"), ("secondary", "secondaryAction")):
        if (action := _action(cta, which)) is not None:
            item[name] = action
    return item


class LiveEvents:
    """Builds catalogue events from what an activity committed and publishes them."""

    def __init__(self, *, bus: RealtimeBus | None, sessions: Sessions) -> None:
        self._bus = bus or NullBus()
        self._sessions = sessions
        self.sessions = sessions

    @property
    def bus(self) -> RealtimeBus:
        return self._bus

    @property
    def enabled(self) -> bool:
        return self._bus.may_reach_listeners

    async def notifications_created(self, inp: StepInput, created: Sequence[Notification]) -> None:
        ctx = inp.context
        for n in created if self.enabled else ():
            body = {"notificationId": str(n.id), "transactionId": n.transaction_id,
                    "workflowIdentifier": ctx.workflow.identifier, "subscriberId": n.subscriber_id,
                    "tenant": n.tenant}
            await self._bus.publish(n.environment_id, "notification.created", body, message="NOTIFICATION_CREATED",
                                    subscriber_id=n.subscriber_id, event_id=event_id_for(f"created:{n.id}"))

    async def step_committed(self, inp: StepInput, keys: Iterable[str]) -> None:
        """After the step's last commit: message.sent / delivered / failed, inbox item and counts."""
        wanted = list(keys)
        if not self.enabled or not wanted:
            return
        identifier = inp.context.workflow.identifier
        async with self._sessions() as session:
            rows = list((await deliveries.messages_by_key(session=session, keys=wanted)).values())
            in_app = [m for m in rows if m.channel == IN_APP]
            env = uuid.UUID(inp.context.environment_id)
            counts = await inbox_counts.unseen_unread(
                session=session, environment_id=env,
                subscriber_pks=list({m.subscriber_pk for m in in_app if m.subscriber_pk is not None}),
            )
        for m in rows:
            await self._message_events(m, identifier)
        by_pk = {m.subscriber_pk: m for m in in_app}
        for pk, (unseen, unread) in counts.items():
            m = by_pk[pk]
            key = m.idempotency_key
            await self.counts(m.environment_id, m.subscriber_id, unseen, unread, key=key)

    async def _message_events(self, m: Message, identifier: str) -> None:
        key, env = m.idempotency_key, m.environment_id
        sub, ch = m.subscriber_id, m.channel
        if m.status == "sent":
            body = message_body(m, identifier)
            await self._bus.publish(env, "message.sent", body, message="MESSAGE_SENT", subscriber_id=sub, channel=ch,
                                    event_id=event_id_for(f"sent:{key}"))
            if ch == IN_APP:  # stored is delivered, for the inbox
                await self._bus.publish(env, "message.delivered", body, message="MESSAGE_DELIVERED",
                                        subscriber_id=sub, channel=ch, event_id=event_id_for(f"delivered:{key}"))
                await self._bus.publish(env, "inbox.notification.received", inbox_item(m),
                                        message="NOTIFICATION_RECEIVED", subscriber_id=sub, channel=ch,
                                        event_id=event_id_for(f"received:{key}"))
        elif m.status == "error":
            body = message_body(m, identifier, error={"code": "delivery_failed", "message": m.error_text or ""})
            await self._bus.publish(env, "message.failed", body, message="MESSAGE_FAILED", subscriber_id=sub,
                                    channel=ch, event_id=event_id_for(f"failed:{key}"))

    async def counts(
        self, env: uuid.UUID, subscriber_id: str, unseen: int, unread: int, *, key: str | None = None
    ) -> None:
        seen_id = event_id_for(f"unseen:{key}") if key else None
        read_id = event_id_for(f"unread:{key}") if key else None
        await self._bus.publish(env, "inbox.unseen_count.changed", {"subscriberId": subscriber_id,
                                "unseenCount": unseen}, message="UNSEEN_COUNT_CHANGED", subscriber_id=subscriber_id,
                                channel=IN_APP, event_id=seen_id)
        await self._bus.publish(env, "inbox.unread_count.changed", {"subscriberId": subscriber_id,
                                "unreadCount": unread}, message="UNREAD_COUNT_CHANGED", subscriber_id=subscriber_id,
                                channel=IN_APP, event_id=read_id)


class RunClosed(BaseModel):
    """How a trigger workflow closed, for ``workflow.run.completed`` / ``failed`` / ``cancelled``."""

    environment_id: str
    transaction_id: str
    workflow_identifier: str
    outcome: Literal["completed", "failed", "cancelled"]
    recipients: int = 0
    error: str | None = None


class LiveActivities:
    """The trigger workflow's last step: announce how it closed (a local activity, best effort)."""

    def __init__(self, *, live: LiveEvents) -> None:
        self._live = live

    @activity.defn
    async def publish_run_closed(self, inp: RunClosed) -> None:
        await self._close([inp])

    @activity.defn
    async def publish_runs_closed(self, inp: list[RunClosed]) -> None:
        """``publish_run_closed`` for the transactions of a batched run, closed in one store transaction."""
        await self._close(inp)

    async def _close(self, runs: list[RunClosed]) -> None:
        bodies = [_body(run) for run in runs]
        by_environment: dict[str, list[tuple[str, str, dict[str, object]]]] = defaultdict(list)
        for run, body in zip(runs, bodies, strict=True):
            by_environment[run.environment_id].append((run.transaction_id, run.outcome, body))
        # The runs' notifications may now age out (store/retention.py); until then the sweep keeps them.
        async with self._live.sessions() as session, session.begin():
            for environment_id, closed in by_environment.items():
                await retention.close_transactions(session=session, environment_id=uuid.UUID(environment_id),
                                                   outcomes={tx: outcome for tx, outcome, _ in closed})
                await lifecycle.record_runs_closed(session, environment_id=environment_id, closed=closed)
        await lifecycle.start_committed(session)
        if not self._live.enabled:
            return
        for run, body in zip(runs, bodies, strict=True):
            await self._live.bus.publish(
                run.environment_id, f"workflow.run.{run.outcome}", body, message=f"WORKFLOW_RUN_{run.outcome.upper()}",
                event_id=event_id_for(f"run:{run.environment_id}:{run.transaction_id}:{run.outcome}"),
            )


def _body(run: RunClosed) -> dict[str, Any]:
    body: dict[str, Any] = {"transactionId": run.transaction_id, "workflowIdentifier": run.workflow_identifier,
                            "recipients": run.recipients}
    if run.error is not None:
        body["error"] = run.error
    return body
