"""The ``webhook`` step (Clarion's own): a signed JSON event to the webhook integration's URL.

Controls: ``eventType`` (default ``notification``), ``url`` (overrides the integration's URL) and
``body``, a template that must render to a JSON object; without it the event's data is
``{"subscriberId": ..., "payload": <the trigger payload>}``. Use ``|tojson`` to embed values.
"""

from __future__ import annotations

import builtins
import hashlib
import json
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel

from channels.base import Channel
from channels.messages import WebhookMessage
from channels.steps.base import ChannelControls, Recipient, StepKind

DEFAULT_EVENT_TYPE = "notification"


class WebhookControls(ChannelControls):
    """Where and what to post; every field is a template."""

    eventType: str | None = None
    url: str | None = None
    body: str | None = None


class WebhookStep(StepKind):
    type: ClassVar[str] = "webhook"
    channel: ClassVar[Channel] = Channel.WEBHOOK
    controls_model: ClassVar[builtins.type[BaseModel]] = WebhookControls
    template_fields: ClassVar[Mapping[str, bool]] = {"eventType": False, "url": False, "body": False}

    def build_message(
        self, rendered: Mapping[str, str], *, recipient: Recipient, payload: Mapping[str, Any],
        controls: Mapping[str, Any], key: str,
    ) -> WebhookMessage:
        data: Any = {"subscriberId": recipient.subscriber_id, "payload": dict(payload)}
        if body := rendered.get("body", "").strip():
            try:
                data = json.loads(body)
            except json.JSONDecodeError as exc:
                raise ValueError(f"the webhook body is not JSON after rendering: {exc}") from None
            if not isinstance(data, dict):
                raise ValueError("the webhook body must render to a JSON object")
        # Stable across retries (derived from the delivery key), so receivers can deduplicate.
        webhook_id = "msg_" + hashlib.sha256(key.encode()).hexdigest()[:32]
        return WebhookMessage(
            url=rendered.get("url") or None, event_type=rendered.get("eventType") or DEFAULT_EVENT_TYPE,
            payload=data, webhook_id=webhook_id,
        )
