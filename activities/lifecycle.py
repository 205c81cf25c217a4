"""``message.sent`` and ``message.failed`` for the lifecycle endpoints, after a step's commits.

Runs over every message of the batch (not only those sent by this attempt), so an activity that
died between its commit and this call emits them on its retry. Each event is recorded once
(its id is ``msg:{messageId}:{status}``) and sent by a publish workflow whose id derives from that
id, so repeating the call starts nothing new. Environments without an endpoint wanting these
types cost one query per step.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from contextlib import suppress

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from core.lifecycle_events import message_data, message_event_id
from core.publishing_payloads import FanOutInput, PublishInput, WebhookPolicy
from core.run_identity import PUBLISH_WORKFLOW, publish_workflow_id
from core.settings import Settings
from store import delivery_ledger, lifecycle_endpoints, publishing
from store.engine import Sessions

# Message statuses at or past "sent" (a provider event may have moved it on already).
_SENT = frozenset({"sent", "delivered", "opened", "clicked", "bounced", "complained", "undelivered"})


def policy_of(settings: Settings) -> WebhookPolicy:
    hooks = settings.webhooks
    return WebhookPolicy(base_waits=hooks.base_waits, window_seconds=hooks.window_seconds,
                         timeout_seconds=hooks.timeout_seconds, connect_timeout_seconds=hooks.connect_timeout_seconds,
                         allow_insecure_default=settings.mode == "dev")


class LifecycleEmitter:
    def __init__(self, *, sessions: Sessions, client: Client, task_queue: str, policy: WebhookPolicy) -> None:
        self._sessions = sessions
        self._client = client
        self._task_queue = task_queue
        self._policy = policy

    async def after_step(self, environment_id: str, keys: Iterable[str]) -> None:
        env = uuid.UUID(environment_id)
        async with self._sessions() as session, session.begin():
            endpoints = await lifecycle_endpoints.list_all(session=session, environment_id=env)
            wanted = {t for t in ("message.sent", "message.failed")
                      if any(not e.event_types or t in e.event_types for e in endpoints)}
            if not wanted:
                return
            events: list[tuple[str, str, dict[str, object]]] = []
            for message in (await delivery_ledger.messages_by_key(session=session, keys=keys)).values():
                status = "sent" if message.status in _SENT else "failed" if message.status == "error" else None
                if status is None or f"message.{status}" not in wanted:
                    continue
                data = message_data(message, status=status, occurred_at=message.updated_at,
                                    **({"error": message.error_text} if status == "failed" else {}))
                events.append((message_event_id(str(message.id), status), f"message.{status}", data))
            for event_id, kind, data in events:
                await publishing.record(session=session, environment_id=env, event_id=event_id, event_type=kind,
                                        topics=[], audiences=None, data=data)
        for event_id, kind, data in events:
            fan_out = FanOutInput(environment_id=environment_id, event_id=event_id, type=kind, topics=[], data=data,
                                  lifecycle=True)
            with suppress(WorkflowAlreadyStartedError):
                await self._client.start_workflow(
                    PUBLISH_WORKFLOW, PublishInput(event=fan_out, trigger=None, policy=self._policy),
                    id=publish_workflow_id(environment_id, event_id), task_queue=self._task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE, static_summary=f"lifecycle {kind}",
                )
