"""Channel step kinds: the controls a step of each channel takes and how they become a message.

Adding a channel step type is one module here plus one line in ``STEP_KINDS``: the API validates
a saved step's controls and templates with it, and the dispatch activity renders its template
fields and builds the provider message with it. Nothing else names step types.
"""

from __future__ import annotations

from collections.abc import Mapping

from channels.steps.base import Recipient, StepKind, Unreachable, template_sources
from channels.steps.chat import ChatStep
from channels.steps.email import EmailStep
from channels.steps.in_app import InAppStep
from channels.steps.push import PushStep
from channels.steps.sms import SmsStep
from channels.steps.webhook import WebhookStep

STEP_KINDS: Mapping[str, StepKind] = {
    kind.type: kind for kind in (InAppStep(), EmailStep(), SmsStep(), ChatStep(), PushStep(), WebhookStep())
}

__all__ = ["STEP_KINDS", "Recipient", "StepKind", "Unreachable", "template_sources"]
