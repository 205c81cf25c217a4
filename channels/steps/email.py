"""The ``email`` step: a subject, an HTML body and a plain-text body (given, or read from the HTML)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, ClassVar

from inscriptis import get_text
from pydantic import BaseModel

from channels.base import Channel
from channels.messages import EmailMessage
from channels.steps.base import ChannelControls, Recipient, StepKind, Unreachable


class EmailControls(ChannelControls):
    subject: str
    body: str
    text: str | None = None
    # Novu's editor fields, accepted so its payloads validate; Clarion renders ``body`` as HTML.
    editorType: str | None = None
    layoutId: str | None = None


class EmailStep(StepKind):
    type: ClassVar[str] = "email"
    channel: ClassVar[Channel] = Channel.EMAIL
    controls_model: ClassVar[builtins.type[BaseModel]] = EmailControls
    template_fields: ClassVar[Mapping[str, bool]] = {"subject": False, "body": True, "text": False}

    def build_message(
        self, rendered: Mapping[str, str], *, recipient: Recipient, payload: Mapping[str, Any],
        controls: Mapping[str, Any], key: str,
    ) -> EmailMessage:
        if not recipient.email:
            raise Unreachable("subscriber has no email address")
        html = rendered.get("body") or None
        return EmailMessage(
            to=[recipient.email],
            subject=rendered.get("subject", ""),
            html=html,
            # Every email is multipart/alternative: the step's text body, else one read from the HTML.
            text=rendered.get("text") or (text_of(html) if html else None),
        )


def text_of(html: str) -> str:
    """The plain-text rendering of an HTML body (paragraphs, lists and tables laid out as text)."""
    return str(get_text(html)).strip() or " "
