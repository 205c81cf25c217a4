"""The ``in_app`` step: an inbox entry with optional subject, avatar, actions and redirect."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from channels.base import Channel
from channels.messages import InAppMessage
from channels.steps.base import ChannelControls, Recipient, StepKind


class Redirect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = ""
    target: Literal["_self", "_blank", "_parent", "_top", "_unfencedTop"] = "_self"


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    redirect: Redirect | None = None


class InAppControls(ChannelControls):
    """Novu's in-app step controls."""

    body: str
    subject: str | None = None
    avatar: str | None = None
    primaryAction: Action | None = None
    secondaryAction: Action | None = None
    redirect: Redirect | None = None
    data: dict[str, Any] | None = None


def _action(kind: str, rendered: Mapping[str, str], prefix: str) -> dict[str, Any] | None:
    label = rendered.get(f"{prefix}.label")
    if not label:
        return None
    button: dict[str, Any] = {"type": kind, "content": label}
    if url := rendered.get(f"{prefix}.redirect.url"):
        button["url"] = url
    return button


class InAppStep(StepKind):
    type: ClassVar[str] = "in_app"
    channel: ClassVar[Channel] = Channel.IN_APP
    controls_model: ClassVar[builtins.type[BaseModel]] = InAppControls
    template_fields: ClassVar[Mapping[str, bool]] = {
        "subject": False,
        "body": False,
        "avatar": False,
        "primaryAction.label": False,
        "primaryAction.redirect.url": False,
        "secondaryAction.label": False,
        "secondaryAction.redirect.url": False,
        "redirect.url": False,
    }

    def build_message(
        self, rendered: Mapping[str, str], *, recipient: Recipient, payload: Mapping[str, Any],
        controls: Mapping[str, Any], key: str,
    ) -> InAppMessage:
        # Novu's cta shape: a redirect plus action buttons, which the inbox renders.
        cta: dict[str, Any] = {}
        if url := rendered.get("redirect.url"):
            cta = {"type": "redirect", "data": {"url": url}}
        buttons = [b for b in (_action("primary", rendered, "primaryAction"),
                               _action("secondary", rendered, "secondaryAction")) if b]
        if buttons:
            cta.setdefault("type", "redirect")
            cta.setdefault("data", {})
            cta["action"] = {"status": "pending", "buttons": buttons, "result": {"payload": {}, "type": None}}
        return InAppMessage(
            subscriber_id=recipient.subscriber_id,
            content=rendered.get("body", ""),
            subject=rendered.get("subject") or None,
            avatar=rendered.get("avatar") or None,
            cta=cta,
            payload=dict(payload),
        )
