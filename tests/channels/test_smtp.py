from __future__ import annotations

import base64
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from channels import Attachment, DeliveryError, EmailMessage, PermanentDeliveryError, RetryableDeliveryError
from channels.smtp import SmtpConfig, SmtpProvider


def smtp(port: int, **overrides: Any) -> SmtpProvider:
    config = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from_address": "noreply@clarion.localhost",
    }
    return SmtpProvider(SmtpConfig.model_validate({**config, **overrides}))


def email(**fields: Any) -> EmailMessage:
    return EmailMessage.model_validate(
        {"to": ["ada@example.com"], "subject": "Hi", "text": "plain", **fields}
    )


async def test_multipart_cc_bcc_and_attachments(smtp_server: Controller, smtp_recorder: Any) -> None:
    provider = smtp(smtp_server.port, from_name="Clarion", reply_to="help@example.com")
    message = email(
        html="<p>rich</p>",
        cc=["cc@example.com"],
        bcc=["hidden@example.com"],
        headers={"X-Campaign": "c1"},
        attachments=[
            Attachment(
                filename="a.txt", content_base64=base64.b64encode(b"hello").decode(), mime_type="text/plain"
            )
        ],
    )

    await provider.send(message, idempotency_key="k1")

    (mail,) = smtp_recorder.received
    assert mail.rcpt_tos == ["ada@example.com", "cc@example.com", "hidden@example.com"]
    msg = mail.message
    assert "hidden@example.com" not in mail.data.decode() and msg["Bcc"] is None
    assert msg["From"] == "Clarion <noreply@clarion.localhost>" and msg["Cc"] == "cc@example.com"
    assert msg["Reply-To"] == "help@example.com" and msg["X-Campaign"] == "c1"
    assert msg.get_body(("plain",)).get_content().strip() == "plain"
    assert msg.get_body(("html",)).get_content().strip() == "<p>rich</p>"
    (part,) = list(msg.iter_attachments())
    assert part.get_filename() == "a.txt" and part.get_content() == "hello"


async def test_message_id_is_stable_per_idempotency_key(smtp_server: Controller, smtp_recorder: Any) -> None:
    provider = smtp(smtp_server.port)
    first = await provider.send(email(), idempotency_key="run:step")
    again = await provider.send(email(), idempotency_key="run:step")
    other = await provider.send(email(), idempotency_key="run:other")

    ids = [m.message["Message-ID"] for m in smtp_recorder.received]
    assert ids == [first.provider_message_id, again.provider_message_id, other.provider_message_id]
    assert ids[0] == ids[1] != ids[2] and ids[0].endswith("@clarion.localhost>")


@pytest.mark.parametrize("headers", [{"Subject": "x"}, {"Bcc": "spy@example.com"}])
async def test_reserved_headers_are_refused(headers: dict[str, str], smtp_server: Controller) -> None:
    with pytest.raises(PermanentDeliveryError, match="set from the message fields"):
        await smtp(smtp_server.port).send(email(headers=headers), idempotency_key="k")


async def test_header_injection_is_permanent(smtp_server: Controller, smtp_recorder: Any) -> None:
    with pytest.raises(PermanentDeliveryError, match="cannot build"):
        await smtp(smtp_server.port).send(email(subject="Hi\r\nBcc: spy@example.com"), idempotency_key="k")
    assert smtp_recorder.received == []


async def test_refused_recipient_is_permanent(smtp_server: Controller) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        await smtp(smtp_server.port).send(email(to=["bad@example.com"]), idempotency_key="k")
    assert caught.value.provider_code == "550"


async def test_greylisted_recipients_are_retryable(smtp_server: Controller) -> None:
    with pytest.raises(RetryableDeliveryError) as caught:
        await smtp(smtp_server.port).send(email(to=["grey@example.com"]), idempotency_key="k")
    assert caught.value.provider_code == "450"


async def test_partial_refusal_is_a_delivery(smtp_server: Controller, smtp_recorder: Any) -> None:
    result = await smtp(smtp_server.port).send(
        email(to=["ada@example.com", "bad@x.org"]), idempotency_key="k"
    )
    assert list(result.detail["refused"]) == ["bad@x.org"]
    assert smtp_recorder.received[0].rcpt_tos == ["ada@example.com"]


@pytest.mark.parametrize(
    "reply,error",
    [("451 4.3.0 try later", RetryableDeliveryError), ("554 5.6.0 rejected", PermanentDeliveryError)],
)
async def test_data_reply_code_decides(
    reply: str, error: type[DeliveryError], smtp_server: Controller, smtp_recorder: Any
) -> None:
    smtp_recorder.data_reply = reply
    with pytest.raises(error) as caught:
        await smtp(smtp_server.port).send(email(), idempotency_key="k")
    assert type(caught.value) is error and caught.value.provider_code == reply[:3]


async def test_connection_refused_is_retryable(closed_port: int) -> None:
    with pytest.raises(RetryableDeliveryError):
        await smtp(closed_port, timeout=2).send(email(), idempotency_key="k")


async def test_starttls_required_but_missing_is_permanent(smtp_server: Controller) -> None:
    with pytest.raises(PermanentDeliveryError, match=r"(?i)starttls"):
        await smtp(smtp_server.port, security="starttls").send(email(), idempotency_key="k")


async def test_check(smtp_server: Controller, closed_port: int) -> None:
    assert (await smtp(smtp_server.port).check()).ok
    failed = await smtp(closed_port, timeout=2).check()
    assert not failed.ok and failed.message


def test_config_defaults_to_starttls_on_587() -> None:
    config = SmtpConfig(host="mail.example.com", from_address="a@example.com")
    assert config.security == "starttls" and config.port is None
    assert SmtpProvider(config)._client().port == 587


def test_from_address_must_be_an_address() -> None:
    with pytest.raises(ValueError, match="not an email address"):
        SmtpConfig(host="h", from_address="nobody")


def test_email_needs_a_body() -> None:
    with pytest.raises(ValueError, match="html or a text body"):
        EmailMessage(to=["a@example.com"], subject="s")


@pytest.mark.parametrize(
    "to", ["a@example.com, spy@evil.test", "Spy <spy@evil.test>", "a@example.com\r\nBcc: spy@evil.test"]
)
async def test_a_recipient_is_one_mailbox_or_nothing(to: str, smtp_server: Controller, smtp_recorder: Any) -> None:
    # Headers are built from parsed addresses only: a list in one value is refused, never split.
    with pytest.raises(PermanentDeliveryError, match="cannot build"):
        await smtp(smtp_server.port).send(email(to=[to]), idempotency_key="k")
    assert smtp_recorder.received == []
