"""Vendor email APIs: the provider-specific error codes their documentation names."""

from __future__ import annotations

from typing import Any

import pytest

from channels import EmailMessage, PermanentDeliveryError, ProviderContext, RetryableDeliveryError
from channels.postmark import PostmarkConfig, PostmarkProvider
from channels.resend import ResendConfig, ResendProvider
from channels.sendgrid import SendgridConfig, SendgridProvider
from channels.ses import SesConfig, SesProvider

LOCAL = ProviderContext(allow_private_addresses=True)
MAIL = EmailMessage(to=["ada@example.com"], subject="Hi", text="Hello")
BASE = {"api_key": "k", "from_address": "noreply@clarion.example"}


async def test_ses_throttling_is_retryable_and_rejection_permanent(http_server: Any) -> None:
    provider = SesProvider(SesConfig(**BASE, access_key_id="AKID", base_url=http_server.url), context=LOCAL)
    http_server.reply(400, json_body={"message": "Maximum sending rate exceeded."},
                      headers={"x-amzn-ErrorType": "LimitExceededException:http://internal"})
    with pytest.raises(RetryableDeliveryError) as throttled:
        await provider.send(MAIL, idempotency_key="k1")
    assert throttled.value.provider_code == "LimitExceededException"

    http_server.reply(400, json_body={"message": "Email address is not verified."},
                      headers={"x-amzn-ErrorType": "MessageRejected"})
    with pytest.raises(PermanentDeliveryError, match="not verified") as rejected:
        await provider.send(MAIL, idempotency_key="k1")
    assert rejected.value.provider_code == "MessageRejected"


async def test_ses_without_attachments_sends_simple_content(http_server: Any) -> None:
    http_server.reply(json_body={"MessageId": "m-1"})
    provider = SesProvider(SesConfig(**BASE, access_key_id="AKID", base_url=http_server.url), context=LOCAL)
    await provider.send(MAIL.model_copy(update={"html": "<p>Hello</p>"}), idempotency_key="k")
    simple = http_server.requests[0].json()["Content"]["Simple"]
    assert simple["Body"] == {"Text": {"Data": "Hello", "Charset": "UTF-8"},
                              "Html": {"Data": "<p>Hello</p>", "Charset": "UTF-8"}}


async def test_postmark_error_code_is_the_provider_code(http_server: Any) -> None:
    http_server.reply(422, json_body={"ErrorCode": 406, "Message": "You tried to send to an inactive recipient."})
    provider = PostmarkProvider(PostmarkConfig(**BASE, base_url=http_server.url), context=LOCAL)
    with pytest.raises(PermanentDeliveryError, match="inactive recipient") as caught:
        await provider.send(MAIL, idempotency_key="k")
    assert caught.value.provider_code == "406"


async def test_resend_rate_limit_names_the_error(http_server: Any) -> None:
    http_server.reply(429, json_body={"statusCode": 429, "name": "rate_limit_exceeded", "message": "Too many"},
                      headers={"Retry-After": "2"})
    provider = ResendProvider(ResendConfig(**BASE, base_url=http_server.url), context=LOCAL)
    with pytest.raises(RetryableDeliveryError) as caught:
        await provider.send(MAIL, idempotency_key="k")
    assert (caught.value.provider_code, caught.value.retry_after) == ("rate_limit_exceeded", 2)


async def test_sendgrid_reports_the_field_and_refuses_reserved_headers(http_server: Any) -> None:
    http_server.reply(400, json_body={"errors": [{"message": "Does not contain a valid address.",
                                                  "field": "personalizations.0.to.0.email"}]})
    provider = SendgridProvider(SendgridConfig(**BASE, base_url=http_server.url), context=LOCAL)
    with pytest.raises(PermanentDeliveryError, match=r"personalizations\.0\.to\.0\.email"):
        await provider.send(MAIL, idempotency_key="k")
    with pytest.raises(PermanentDeliveryError, match="Subject"):
        await provider.send(MAIL.model_copy(update={"headers": {"Subject": "x"}}), idempotency_key="k")
