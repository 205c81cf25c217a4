"""The sms, chat, push and webhook step kinds: addresses from the subscriber, Unreachable without."""

from __future__ import annotations

from typing import Any

import pytest

from channels.messages import ChatMessage, PushMessage, SmsMessage, WebhookMessage
from channels.steps import STEP_KINDS, Recipient, Unreachable

BARE = Recipient(subscriber_id="ada")
FULL = Recipient(subscriber_id="ada", phone="+1555", channels=[
    {"providerId": "slack", "credentials": {"webhookUrl": "https://hooks.test/a"}},
    {"providerId": "expo", "credentials": {"deviceTokens": ["t1", "t2"]}},
    {"providerId": "fcm", "credentials": {"deviceTokens": ["t2", "t3"]}},
])


def build(kind: str, rendered: dict[str, str], who: Recipient, controls: dict[str, Any] | None = None) -> Any:
    return STEP_KINDS[kind].build_message(
        rendered, recipient=who, payload={"n": 1}, controls=controls or {}, key="run:step:ada"
    )


@pytest.mark.parametrize("kind", ["sms", "chat", "push"])
def test_no_address_is_unreachable(kind: str) -> None:
    with pytest.raises(Unreachable):
        build(kind, {"body": "b", "subject": "s"}, BARE)


def test_messages_take_the_subscriber_addresses() -> None:
    assert build("sms", {"body": "hi"}, FULL) == SmsMessage(to="+1555", content="hi")
    assert build("chat", {"body": "hi"}, FULL) == ChatMessage(
        content="hi", webhook_url="https://hooks.test/a", webhook_urls={"slack": "https://hooks.test/a"})
    push = build("push", {"subject": "S", "body": "B"}, FULL, {"data": {"k": "v"}})
    assert push == PushMessage(tokens=["t1", "t2", "t3"], title="S", content="B", data={"k": "v"})


def test_webhook_body_and_stable_id() -> None:
    default = build("webhook", {}, BARE)
    assert isinstance(default, WebhookMessage)
    assert (default.event_type, default.payload, default.url) == ("notification", {"subscriberId": "ada",
                                                                                   "payload": {"n": 1}}, None)
    assert default.webhook_id == build("webhook", {}, BARE).webhook_id  # the same across retries
    custom = build("webhook", {"body": '{"a": 1}', "eventType": "e", "url": "http://x"}, BARE)
    assert (custom.payload, custom.event_type, custom.url) == ({"a": 1}, "e", "http://x")
    with pytest.raises(ValueError, match="not JSON"):
        build("webhook", {"body": "{nope"}, BARE)


@pytest.mark.parametrize("kind", sorted(STEP_KINDS))
def test_every_channel_step_accepts_stop_on_failure(kind: str) -> None:
    model = STEP_KINDS[kind].controls_model
    required = {name: "x" for name, f in model.model_fields.items() if f.is_required()}
    assert model.model_validate({**required, "stopOnFailure": True}).model_dump()["stopOnFailure"] is True
