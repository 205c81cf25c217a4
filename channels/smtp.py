"""Email over SMTP with aiosmtplib.

``security`` defaults to ``starttls`` (port 587) so credentials never cross the network in clear
by accident; a local sink such as Mailpit or the dev SMTP catcher needs ``security="none"``.
The Message-ID is derived from the idempotency key, so a duplicate send after a crashed attempt
carries the same Message-ID and the receiving side can spot it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import re
from email.headerregistry import Address
from email.message import EmailMessage as MimeMessage
from email.utils import formataddr, formatdate, parseaddr
from typing import ClassVar, Literal

import aiosmtplib
from aiosmtplib.protocol import normalize_message_line_endings
from aiosmtplib.status import SMTPStatus
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from channels._email_api import HEADER_POLICY
from channels.base import Capabilities, Channel, ChannelProvider, CheckResult, SendResult
from channels.errors import DeliveryError, PermanentDeliveryError, RetryableDeliveryError
from channels.messages import EmailMessage

_WIRE = HEADER_POLICY.clone(linesep="\r\n")
_PERIOD = re.compile(rb"(?m)^\.")  # RFC 5321 4.5.2 transparency, as aiosmtplib's own DATA does
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
# These are set from the message fields; a template header must not override or smuggle them.
_RESERVED_HEADERS = frozenset({"from", "to", "cc", "bcc", "subject", "message-id", "reply-to", "date"})


def _address(value: str) -> str:
    _, address = parseaddr(value)
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        raise ValueError(f"not an email address: {value!r}")
    return address


def _mailboxes(values: list[str]) -> list[Address]:
    # Exactly one addr-spec each: "a@x.com, b@evil.test" is refused, never split into two recipients.
    return [Address(addr_spec=value.strip()) for value in values]


class SmtpConfig(BaseModel):
    """SMTP server settings. ``port`` defaults to 587, 465 or 25 depending on ``security``."""

    model_config = ConfigDict(extra="forbid")

    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    security: Literal["starttls", "tls", "none"] = "starttls"
    validate_certs: bool = True
    from_address: str
    from_name: str | None = None
    reply_to: str | None = None
    timeout: float = Field(default=30.0, gt=0)

    @field_validator("from_address")
    @classmethod
    def _check_from(cls, value: str) -> str:
        # A plain check, not EmailStr: dev sinks legitimately use reserved domains (@localhost).
        return _address(value)


class SmtpProvider(ChannelProvider[SmtpConfig, EmailMessage]):
    """Sends multipart email through one SMTP server."""

    id: ClassVar[str] = "smtp"
    channel: ClassVar[Channel] = Channel.EMAIL
    display_name: ClassVar[str] = "SMTP"
    config_model: ClassVar[type[BaseModel]] = SmtpConfig
    message_model: ClassVar[type[BaseModel]] = EmailMessage
    capabilities: ClassVar[Capabilities] = Capabilities(
        html=True, attachments=True, batch=True, idempotency=True, check=True
    )

    async def send(self, message: EmailMessage, *, idempotency_key: str) -> SendResult:
        staged = await self.stage(message, idempotency_key=idempotency_key)
        try:
            return await staged.deliver()
        finally:
            await staged.close()

    async def stage(self, message: EmailMessage, *, idempotency_key: str) -> StagedMail:
        """Everything of the SMTP transaction that cannot deliver the message: connect, EHLO, STARTTLS,
        AUTH, MAIL FROM, RCPT TO, DATA and the whole content, but not the terminating ``.``.

        A connection dropped before the ``.`` makes the server discard the message (RFC 5321 4.1.1.4), so
        the caller commits its "transmitting" marker only now, and the undecided window is one reply.
        """
        mime = self.build(message, idempotency_key=idempotency_key)
        sender = _address(message.from_address or self.config.from_address)
        # Bcc recipients go in the envelope only, never in a header the others can read.
        try:
            recipients = [item.addr_spec for item in _mailboxes([*message.to, *message.cc, *message.bcc])]
        except ValueError as exc:
            raise PermanentDeliveryError(f"smtp: cannot build the message: {exc}") from exc
        # Flattened here, not by aiosmtplib: its own policy would fold long headers back to 78 characters
        # (RFC 2047-encoding a List-Unsubscribe URL).
        content = normalize_message_line_endings(mime.as_bytes(policy=_WIRE))
        client = self._client()
        try:
            await client.connect()
            if client.is_ehlo_or_helo_needed:
                await client.ehlo()
            options = [f"size={len(content)}"] if client.supports_extension("size") else []
            await client.mail(sender, options=options)
            errors: list[aiosmtplib.SMTPRecipientRefused] = []
            for rcpt in recipients:
                try:
                    await client.rcpt(rcpt)
                except aiosmtplib.SMTPRecipientRefused as exc:
                    errors.append(exc)
            if len(errors) == len(recipients):
                raise aiosmtplib.SMTPRecipientsRefused(errors)
            refused = {str(exc.recipient): f"{exc.code} {exc.message}" for exc in errors}
            start = await client.execute_command(b"DATA")
            if start.code != SMTPStatus.start_input:
                raise aiosmtplib.SMTPDataError(start.code, start.message)
            if client.protocol is None:
                raise aiosmtplib.SMTPServerDisconnected("Connection lost")
            client.protocol.write(_PERIOD.sub(b"..", content))  # dot-stuffed; ends with CRLF
        except aiosmtplib.SMTPRecipientsRefused as exc:
            client.close()
            raise _refused_error(exc) from exc
        except aiosmtplib.SMTPException as exc:
            client.close()
            raise _smtp_error(exc) from exc
        except BaseException:
            client.close()
            raise
        return StagedMail(self.id, client, str(mime["Message-ID"]), refused)

    async def check(self) -> CheckResult:
        client = self._client()
        try:
            async with client:
                code, reply = await client.noop()
        except aiosmtplib.SMTPException as exc:
            return CheckResult(ok=False, message=str(_smtp_error(exc)))
        return CheckResult(ok=True, message=f"{code} {reply}")

    def build(self, message: EmailMessage, *, idempotency_key: str) -> MimeMessage:
        """The MIME message ``send`` would transmit (public so previews and tests can inspect it)."""
        try:
            return self._build(message, idempotency_key)
        except (ValueError, TypeError, binascii.Error) as exc:
            # Header injection (newlines), bad addresses or bad base64: the content is wrong.
            raise PermanentDeliveryError(f"smtp: cannot build the message: {exc}") from exc

    def _build(self, message: EmailMessage, idempotency_key: str) -> MimeMessage:
        mime = MimeMessage(policy=HEADER_POLICY)
        from_address = _address(message.from_address or self.config.from_address)
        # A message's own sender (address or name) replaces the configured one; a name alone keeps the address.
        from_name = message.from_name if message.from_address or message.from_name else self.config.from_name
        mime["From"] = formataddr((from_name or "", from_address))
        mime["To"] = _mailboxes(message.to)
        if message.cc:
            mime["Cc"] = _mailboxes(message.cc)
        if reply_to := message.reply_to or self.config.reply_to:
            mime["Reply-To"] = _mailboxes([reply_to])
        mime["Subject"] = message.subject
        mime["Date"] = formatdate(localtime=False)
        mime["Message-ID"] = message_id(idempotency_key, Address(addr_spec=from_address).domain)
        for name, value in message.headers.items():
            if name.lower() in _RESERVED_HEADERS:
                raise ValueError(f"header {name!r} is set from the message fields")
            mime[name] = value
        if message.text is not None:
            mime.set_content(message.text)
            if message.html is not None:
                mime.add_alternative(message.html, subtype="html")
        elif message.html is not None:
            mime.set_content(message.html, subtype="html")
        for item in message.attachments:
            maintype, _, subtype = item.mime_type.partition("/")
            data = base64.b64decode(item.content_base64, validate=True)
            mime.add_attachment(
                data, maintype=maintype, subtype=subtype or "octet-stream", filename=item.filename
            )
        return mime

    def _client(self) -> aiosmtplib.SMTP:
        config = self.config
        return aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port or DEFAULT_PORTS[config.security],
            username=config.username,
            password=config.password.get_secret_value() if config.password else None,
            use_tls=config.security == "tls",
            # True, not None: None would silently fall back to plain text when STARTTLS is missing.
            start_tls=config.security == "starttls",
            validate_certs=config.validate_certs,
            timeout=config.timeout,
        )


class StagedMail:
    """An SMTP transaction held just before its terminating ``.``: ``deliver`` sends it and reads the
    server's verdict, ``close`` ends the connection (QUIT after a delivery, a plain close otherwise, which
    makes the server drop the unterminated message)."""

    def __init__(self, provider_id: str, client: aiosmtplib.SMTP, message_id: str, refused: dict[str, str]) -> None:
        self._provider_id, self._client, self._message_id, self._refused = provider_id, client, message_id, refused
        self._delivered = False

    async def deliver(self) -> SendResult:
        """Send the ``.`` and read the verdict. A refusal raises a ``DeliveryError``; a lost connection or a
        reply that never came raises aiosmtplib's own error: the server may have taken the message, so the
        outcome is unknown, not a failure (``activities.transmission`` keeps the marker for the policy)."""
        try:
            reply = await self._client.execute_command(b".")
        except aiosmtplib.SMTPResponseException as exc:
            self._client.close()
            raise _smtp_error(exc) from exc
        except aiosmtplib.SMTPException:
            self._client.close()
            raise
        if reply.code != SMTPStatus.completed:
            self._client.close()
            raise _smtp_error(aiosmtplib.SMTPDataError(reply.code, reply.message))
        self._delivered = True
        # Some recipients accepted: the message is out, so retrying would duplicate it for them.
        detail = {"reply": reply.message, "refused": self._refused}
        return SendResult(provider_id=self._provider_id, provider_message_id=self._message_id, detail=detail)

    async def close(self) -> None:
        if self._delivered and self._client.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await self._client.quit()
        self._client.close()


def message_id(idempotency_key: str, domain: str) -> str:
    """A Message-ID that is the same for every attempt with the same idempotency key."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain or 'clarion.invalid'}>"


_TRANSIENT = (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPTimeoutError, aiosmtplib.SMTPServerDisconnected)


def _refused_error(exc: aiosmtplib.SMTPRecipientsRefused) -> DeliveryError:
    codes = [refusal.code for refusal in exc.recipients]
    text = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
    # Every recipient refused with 4xx is greylisting or a full mailbox: worth another try.
    if codes and all(400 <= code < 500 for code in codes):
        return RetryableDeliveryError(f"SMTP recipients deferred: {text}", provider_code=str(codes[0]))
    code = next((c for c in codes if c >= 500), codes[0] if codes else None)
    return PermanentDeliveryError(f"SMTP recipients refused: {text}", provider_code=str(code))


def _smtp_error(exc: aiosmtplib.SMTPException) -> DeliveryError:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        error = RetryableDeliveryError if 400 <= exc.code < 500 else PermanentDeliveryError
        return error(f"SMTP {exc.code}: {exc.message}", provider_code=str(exc.code))
    if isinstance(exc, _TRANSIENT):
        return RetryableDeliveryError(f"SMTP connection: {exc}")
    # SMTPNotSupported (e.g. no STARTTLS) and friends: the configuration does not match the server.
    return PermanentDeliveryError(f"SMTP: {exc}")
