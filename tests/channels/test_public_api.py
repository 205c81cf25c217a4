from __future__ import annotations

import pickle

import httpx
import pytest

import channels
from channels import DeliveryError, PermanentDeliveryError, RetryableDeliveryError, SmsMessage
from channels._http import raise_for_status, retry_after

CONTRACT = [
    "Attachment",
    "Capabilities",
    "Channel",
    "ChannelProvider",
    "ChannelRegistry",
    "ChatMessage",
    "CheckResult",
    "DeliveryError",
    "EmailMessage",
    "InAppMessage",
    "InAppSink",
    "InvalidProviderConfig",
    "LoadFailure",
    "PermanentDeliveryError",
    "ProviderContext",
    "PushMessage",
    "RetryableDeliveryError",
    "SendResult",
    "SmsMessage",
    "UnknownProviderError",
    "WebhookMessage",
]


def test_all_is_exactly_the_contract() -> None:
    # A change to the plugin contract must show up as a diff here (STYLE P14).
    assert sorted(channels.__all__) == CONTRACT
    public = {
        name
        for name, value in vars(channels).items()
        if not name.startswith("_") and not isinstance(value, type(channels))
    }
    assert public == set(CONTRACT)


def test_channel_values() -> None:
    assert [c.value for c in channels.Channel] == ["in_app", "email", "sms", "chat", "push", "webhook"]


def test_sms_from_alias_round_trips_json() -> None:
    sms = SmsMessage.model_validate({"to": "+1", "content": "c", "from": "+2"})
    assert sms.from_ == "+2"
    assert SmsMessage.model_validate_json(sms.model_dump_json(by_alias=True)) == sms
    assert SmsMessage.model_validate_json(sms.model_dump_json()) == sms


@pytest.mark.parametrize(
    "error",
    [
        RetryableDeliveryError("slow", provider_code="503", retry_after=2.5),
        PermanentDeliveryError("gone", provider_code="410"),
    ],
)
def test_errors_keep_their_fields_through_pickle(error: DeliveryError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and isinstance(copy, DeliveryError)
    assert (str(copy), copy.provider_code, vars(copy)) == (str(error), error.provider_code, vars(error))


def test_retry_after_accepts_seconds_and_dates() -> None:
    assert retry_after(httpx.Response(429, headers={"Retry-After": "3"})) == 3
    assert retry_after(httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx.Response(429)) is None


@pytest.mark.parametrize(
    "status,kind",
    [
        (302, PermanentDeliveryError),
        (409, PermanentDeliveryError),
        (408, RetryableDeliveryError),
        (502, RetryableDeliveryError),
    ],
)
def test_status_mapping_edges(status: int, kind: type[Exception]) -> None:
    with pytest.raises(kind):
        raise_for_status(httpx.Response(status, request=httpx.Request("GET", "http://x")))
    raise_for_status(httpx.Response(204, request=httpx.Request("GET", "http://x")))
