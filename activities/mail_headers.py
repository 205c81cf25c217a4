"""What an email gets besides its rendered body: ``List-Unsubscribe`` with one-click POST (RFC 8058).

The link switches off this workflow's email for this subscriber (``/v1/unsubscribe/{token}``).
Critical workflows ignore preferences, so their mail carries no unsubscribe link.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from channels import EmailMessage
from core import unsubscribe_tokens
from core.payloads import StepInput


@dataclass(frozen=True)
class MailHeaders:
    """``public_url``: where mail clients reach the API; ``secret``: the instance secret (token key)."""

    public_url: str
    secret: str

    def decorate(self, message: BaseModel, inp: StepInput, subscriber_id: str) -> BaseModel:
        """The message with its unsubscribe headers (any other message unchanged)."""
        workflow = inp.context.workflow
        if not isinstance(message, EmailMessage) or workflow.critical or not self.public_url:
            return message
        token = unsubscribe_tokens.make(self.secret, unsubscribe_tokens.Unsubscribe(
            inp.context.environment_id, subscriber_id, workflow.id))
        url = f"{self.public_url.rstrip('/')}/v1/unsubscribe/{token}"
        headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        return message.model_copy(update={"headers": {**headers, **message.headers}})
