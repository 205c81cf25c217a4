"""What the vendor email APIs share: the config fields, the sender, and the address formatting."""

from __future__ import annotations

from email import policy
from email.utils import formataddr, parseaddr

from pydantic import Field, SecretStr, field_validator

from channels import _http
from channels.errors import PermanentDeliveryError
from channels.messages import EmailMessage

# RFC 5322 allows 998 characters a line; with the default 78, a long header value without spaces
# (a List-Unsubscribe URL) would be RFC 2047-encoded, and mail clients would not find the URL.
HEADER_POLICY = policy.default.clone(max_line_length=998)

# Set from the message fields by every API; a template header must not override or smuggle them.
RESERVED_HEADERS = frozenset({"from", "to", "cc", "bcc", "subject", "message-id", "reply-to", "date"})


class EmailApiConfig(_http.HttpConfig):
    """Credentials and defaults of one vendor email API account."""

    api_key: SecretStr
    from_address: str = Field(description="The default sender address (a verified sender at the vendor).")
    from_name: str | None = None
    reply_to: str | None = None

    @field_validator("from_address")
    @classmethod
    def _check_from(cls, value: str) -> str:
        _, address = parseaddr(value)
        if "@" not in address:
            raise ValueError(f"not an email address: {value!r}")
        return address


def sender(config: EmailApiConfig, message: EmailMessage) -> tuple[str | None, str]:
    """The (name, address) an email goes out from: the message's own sender, else the config's."""
    if message.from_address:
        return message.from_name, message.from_address
    return config.from_name, config.from_address


def formatted_sender(config: EmailApiConfig, message: EmailMessage) -> str:
    """``"Name <address>"`` (or the bare address), as the JSON APIs take a sender."""
    name, address = sender(config, message)
    return formataddr((name or "", address))


def reply_to(config: EmailApiConfig, message: EmailMessage) -> str | None:
    return message.reply_to or config.reply_to


def custom_headers(provider: str, message: EmailMessage) -> dict[str, str]:
    """The message's extra headers, refusing the ones the API sets from fields (and header injection)."""
    for name, value in message.headers.items():
        if name.lower() in RESERVED_HEADERS:
            raise PermanentDeliveryError(f"{provider}: header {name!r} is set from the message fields")
        if any(c in name + value for c in "\r\n"):
            raise PermanentDeliveryError(f"{provider}: header {name!r} holds a line break")
    return dict(message.headers)
