"""The ``push`` step: a title and a body to every device token of the subscriber.

Tokens come from the subscriber's channel credentials (``credentials.deviceTokens``), merged
across their push integrations; ``data`` is passed to the devices as it is, not rendered.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel

from channels.base import Channel
from channels.messages import PushMessage
from channels.steps.base import ChannelControls, Recipient, StepKind, Unreachable, channel_credentials


class PushControls(ChannelControls):
    """Novu's push step controls."""

    subject: str
    body: str
    data: dict[str, Any] | None = None


class PushStep(StepKind):
    type: ClassVar[str] = "push"
    channel: ClassVar[Channel] = Channel.PUSH
    controls_model: ClassVar[builtins.type[BaseModel]] = PushControls
    template_fields: ClassVar[Mapping[str, bool]] = {"subject": False, "body": False}

    def build_message(
        self, rendered: Mapping[str, str], *, recipient: Recipient, payload: Mapping[str, Any],
        controls: Mapping[str, Any], key: str,
    ) -> PushMessage:
        tokens = [str(t) for t in channel_credentials(recipient, "deviceTokens")]
        if not tokens:
            raise Unreachable("subscriber has no push device tokens in their channel credentials")
        data = controls.get("data")
        return PushMessage(
            tokens=tokens, title=rendered.get("subject", ""), content=rendered.get("body", ""),
            data=dict(data) if isinstance(data, Mapping) else {},
        )
