"""``file_sms``: "sends" SMS by appending them to a JSON Lines file, one line per message.

It shows the whole plugin contract in one class: identity and capabilities as class attributes, a
pydantic config model (the API serves its JSON schema and validates credentials with it; ``SecretStr``
fields are masked), and an async ``send`` that returns a ``SendResult`` or raises a typed error.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from channels import (
    Capabilities,
    Channel,
    ChannelProvider,
    PermanentDeliveryError,
    RetryableDeliveryError,
    SendResult,
    SmsMessage,
)


class FileSmsConfig(BaseModel):
    """Where the messages go; ``signature`` stands in for a real API key (a secret, so masked)."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="The JSON Lines file to append to.")
    sender: str = "Clarion"
    signature: SecretStr | None = None


class FileSmsProvider(ChannelProvider[FileSmsConfig, SmsMessage]):
    """Appends each SMS to a file, once per idempotency key."""

    id: ClassVar[str] = "file_sms"
    channel: ClassVar[Channel] = Channel.SMS
    display_name: ClassVar[str] = "SMS to a file (example plugin)"
    config_model: ClassVar[type[BaseModel]] = FileSmsConfig
    message_model: ClassVar[type[BaseModel]] = SmsMessage
    capabilities: ClassVar[Capabilities] = Capabilities(idempotency=True)

    async def send(self, message: SmsMessage, *, idempotency_key: str) -> SendResult:
        path = Path(self.config.path)
        if not path.parent.is_dir():
            raise PermanentDeliveryError(f"file_sms: no such folder {path.parent}")
        line = {"key": idempotency_key, "to": message.to, "from": message.from_ or self.config.sender,
                "content": message.content}
        try:
            await asyncio.to_thread(_append_once, path, line)
        except OSError as exc:  # a full disk may clear up; let the host retry
            raise RetryableDeliveryError(f"file_sms: {exc}") from exc
        return SendResult(provider_id=self.id, provider_message_id=idempotency_key)


def _append_once(path: Path, line: dict[str, str]) -> None:
    existing = path.read_text().splitlines() if path.exists() else []
    if any(json.loads(row).get("key") == line["key"] for row in existing):
        return  # already delivered under this key: the remote deduplicates, as a real gateway would
    with path.open("a") as out:
        out.write(json.dumps(line) + "\n")
