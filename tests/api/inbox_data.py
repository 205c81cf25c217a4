"""In-app messages stored directly, as the worker writes them, for the feed, inbox and messages suites."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from store.models import Message, Notification, NotificationWorkflow, Subscriber

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
BUTTONS_CTA = {
    "type": "redirect", "data": {"url": "https://app.example/orders/1"},
    "action": {"status": "pending", "result": {"payload": {}, "type": None}, "buttons": [
        {"type": "primary", "content": "Accept", "url": "https://app.example/accept"},
        {"type": "secondary", "content": "Decline"},
    ]},
}  # fmt: skip


@dataclass
class Inbox:
    """What ``seed`` stored; ``feed`` is ada's visible in-app messages, newest first."""

    ada: Subscriber
    bob: Subscriber
    workflow: NotificationWorkflow
    feed: list[Message]
    email: Message
    webhook: Message
    deleted: Message
    bobs: Message
    foreign: Message
    foreign_sub: Subscriber
    by_tx: dict[str, Message] = field(default_factory=dict)

    def ids(self, *indexes: int) -> list[str]:
        return [str(self.feed[i].id) for i in indexes]


class _Builder:
    def __init__(self, session: Any, env_id: uuid.UUID, workflow: NotificationWorkflow | None) -> None:
        self.session, self.env_id, self.workflow, self.n = session, env_id, workflow, 0

    async def message(self, sub: Subscriber, *, minute: float, channel: str = "in_app", tx: str | None = None,
                      **extra: Any) -> Message:  # fmt: skip
        self.n += 1
        tx = tx or f"tx-{self.env_id.hex[:4]}-{self.n}"
        wf = self.workflow
        note = await self.session.scalar(
            Notification.__table__.select().where(
                Notification.environment_id == self.env_id, Notification.transaction_id == tx,
                Notification.subscriber_id == sub.subscriber_id,
            )
        )  # fmt: skip
        if note is None:
            notification = Notification(
                environment_id=self.env_id, transaction_id=tx, workflow_id=wf.id if wf else None,
                workflow_identifier=wf.identifier if wf else "gone", subscriber_pk=sub.id,
                subscriber_id=sub.subscriber_id, channels=[channel], payload=extra.get("payload", {}),
                temporal_workflow_id=f"run-{tx}", created_at=T0, updated_at=T0,
            )  # fmt: skip
            self.session.add(notification)
            await self.session.flush()
            note_id = notification.id
        else:
            note_id = note
        at = T0 + timedelta(minutes=minute)
        row = Message(
            environment_id=self.env_id, idempotency_key=f"{tx}:{channel}:{sub.subscriber_id}:{self.n}",
            notification_id=note_id, workflow_id=wf.id if wf else None, subscriber_pk=sub.id,
            subscriber_id=sub.subscriber_id, transaction_id=tx, channel=channel, step_id=f"{channel}-step",
            content=extra.pop("content", f"message {self.n}"), status=extra.pop("status", "sent"),
            provider_id="in_app" if channel == "in_app" else "smtp", tags=extra.pop("tags", ["onboarding"]),
            created_at=at, updated_at=at, **extra,
        )  # fmt: skip
        self.session.add(row)
        await self.session.flush()
        return row


async def seed(api: Any) -> Inbox:
    """Ada's feed of six in-app messages (0 newest) plus rows the feed must leave out, and environment B's."""
    env_a, env_b = api.tenancy.env_a, api.tenancy.env_b
    async with api.sessions() as s, s.begin():
        ada = Subscriber(environment_id=env_a.id, subscriber_id="ada", first_name="Ada", avatar="https://a/ada.png")
        bob = Subscriber(environment_id=env_a.id, subscriber_id="bob")
        eve = Subscriber(environment_id=env_b.id, subscriber_id="ada", first_name="Eve")
        wf = NotificationWorkflow(environment_id=env_a.id, identifier="welcome", name="Welcome", steps=[],
                                  tags=["onboarding"], critical=True)  # fmt: skip
        wf_b = NotificationWorkflow(environment_id=env_b.id, identifier="welcome", name="Welcome B", steps=[])
        s.add_all([ada, bob, eve, wf, wf_b])
        await s.flush()
        a, b = _Builder(s, env_a.id, wf), _Builder(s, env_b.id, wf_b)
        payloads: list[dict[str, Any]] = [
            {"n": 0, "order": {"id": 7, "kind": "gift"}, "vip": True, "list": [1, 2]},
            {"n": 1, "order": {"id": 8, "kind": "gift"}, "vip": 1},
            {"n": 2, "order": {"id": 9, "kind": "plain"}, "vip": False, "note": None},
            {"n": 3, "code": "1"},
            {"n": 4, "code": 1, "price": 1.5},
            {"n": 5},
        ]
        # Stored oldest first; 3 and 4 share a timestamp so cursors must break the tie by id.
        minutes = [50, 40, 30, 20, 20, 10]
        rows = []
        for i in reversed(range(6)):
            extra: dict[str, Any] = {"payload": payloads[i], "tags": ["billing"] if i % 2 else ["onboarding"]}
            if i == 0:
                extra.update(cta=BUTTONS_CTA, subject="Your order", avatar="https://a/bell.png")
            if i in (4, 5):
                extra.update(seen=True, seen_at=T0)
            if i == 5:
                extra.update(read=True, read_at=T0)
            rows.append(await a.message(ada, minute=minutes[i], **extra))
        feed = sorted(rows, key=lambda m: (m.created_at, m.id), reverse=True)
        email = await a.message(ada, minute=60, channel="email", tx=feed[0].transaction_id)
        webhook = await a.message(ada, minute=5, channel="webhook", status="transmitting")
        deleted = await a.message(ada, minute=70, deleted=True)
        bobs = await a.message(bob, minute=45)
        foreign = await b.message(eve, minute=55, payload={"n": 0})
    inbox = Inbox(ada, bob, wf, feed, email, webhook, deleted, bobs, foreign, eve)
    inbox.by_tx = {m.transaction_id: m for m in feed}
    return inbox


async def stored(api: Any, message_id: uuid.UUID) -> Message:
    async with api.sessions() as s:
        row = await s.get(Message, message_id)
        assert row is not None
        return row
