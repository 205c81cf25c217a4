"""The ``sms`` step: one text body, sent to the subscriber's phone number."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel

from channels.base import Channel
from channels.messages import SmsMessage
from channels.steps.base import ChannelControls, Recipient, StepKind, Unreachable


class SmsControls(ChannelControls):
    """Novu's SMS step controls."""

    body: str


class SmsStep(StepKind):
    type: ClassVar[str] = "sms"
    channel: ClassVar[Channel] = Channel.SMS
    controls_model: ClassVar[builtins.type[BaseModel]] = SmsControls
    template_fields: ClassVar[Mapping[str, bool]] = {"body": False}

    def build_message(
        self, rendered: Mapping[str, str], *, recipient: Recipient, payload: Mapping[str, Any],
        controls: Mapping[str, Any], key: str,
    ) -> SmsMessage:
        if not recipient.phone:
            raise Unreachable("subscriber has no phone number")
        return SmsMessage(to=recipient.phone, content=rendered.get("body", ""))
