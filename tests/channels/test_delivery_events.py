"""The delivery-event parsers on their own: signatures that must hold, and how events read."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import SecretStr

from channels.delivery_events import InboundRequest, ParseContext, PayloadError, SignatureError, parser_for
from channels.delivery_events.twilio import signature
from channels.mailgun import MailgunConfig
from channels.postmark import PostmarkConfig
from channels.sendgrid import SendgridConfig
from channels.twilio_sms import TwilioSmsConfig

URL = "https://clarion.example/v1/webhooks/providers/abc"
CTX = ParseContext()


async def test_twilio_status_callback_is_verified_against_the_url_and_sorted_form() -> None:
    config = TwilioSmsConfig(account_sid="AC1", auth_token=SecretStr("tw-token"))
    form = {"MessageSid": "SM42", "MessageStatus": "undelivered", "ErrorCode": "30003", "AccountSid": "AC1"}
    body = "&".join(f"{k}={v}" for k, v in form.items()).encode()
    headers = {"x-twilio-signature": signature("tw-token", URL, list(form.items()))}
    parse = parser_for("twilio_sms")
    assert parse is not None

    parsed = await parse(InboundRequest(URL, headers, body), config, CTX)

    (event,) = parsed.events
    assert (event.message_ids, event.event, event.reason) == (["SM42"], "undelivered", "Twilio error 30003")
    with pytest.raises(SignatureError):  # the same body posted to another URL
        await parse(InboundRequest(URL + "x", headers, body), config, CTX)


async def test_twilio_intermediate_statuses_change_nothing() -> None:
    config = TwilioSmsConfig(account_sid="AC1", auth_token=SecretStr("tw-token"))
    form = {"MessageSid": "SM42", "MessageStatus": "sent"}
    body = "&".join(f"{k}={v}" for k, v in form.items()).encode()
    parse = parser_for("twilio_sms")
    assert parse is not None
    parsed = await parse(InboundRequest(URL, {"x-twilio-signature": signature("tw-token", URL, list(form.items()))},
                                        body), config, CTX)
    assert (parsed.events, parsed.ignored) == ([], 1)


async def test_sendgrid_without_a_key_refuses_and_with_one_reads_every_event() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    public = base64.b64encode(key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).decode()
    events = [{"event": "processed", "sg_message_id": "a.filter1", "timestamp": 1},
              {"event": "open", "sg_message_id": "a.filter1", "timestamp": 2, "sg_event_id": "e2"},
              {"event": "click", "sg_message_id": "a.filter1", "timestamp": 3, "sg_event_id": "e3",
               "url": "https://x.example"}]
    body = json.dumps(events).encode()
    signed = base64.b64encode(key.sign(b"99" + body, ec.ECDSA(hashes.SHA256()))).decode()
    headers = {"x-twilio-email-event-webhook-signature": signed, "x-twilio-email-event-webhook-timestamp": "99"}
    parse = parser_for("sendgrid")
    assert parse is not None
    base = {"api_key": "k", "from_address": "a@b.example"}
    with pytest.raises(SignatureError, match="no webhook_verification_key"):
        await parse(InboundRequest(URL, headers, body), SendgridConfig(**base), CTX)

    parsed = await parse(InboundRequest(URL, headers, body), SendgridConfig(**base, webhook_verification_key=public),
                         CTX)

    assert [(e.event, e.message_ids[:2], e.event_id) for e in parsed.events] == [
        ("opened", ["a.filter1", "a"], "e2"), ("clicked", ["a.filter1", "a"], "e3")]
    assert parsed.ignored == 1 and parsed.events[1].url == "https://x.example"


async def test_postmark_needs_the_basic_auth_password() -> None:
    config = PostmarkConfig(api_key="k", from_address="a@b.example", webhook_password="pw")
    body = json.dumps({"RecordType": "SpamComplaint", "MessageID": "m1", "BouncedAt": "2026-12-02T10:00:00Z"}).encode()
    parse = parser_for("postmark")
    assert parse is not None
    wrong = {"authorization": "Basic " + base64.b64encode(b"u:nope").decode()}
    with pytest.raises(SignatureError):
        await parse(InboundRequest(URL, wrong, body), config, CTX)
    right = {"authorization": "Basic " + base64.b64encode(b"u:pw").decode()}
    (event,) = (await parse(InboundRequest(URL, right, body), config, CTX)).events
    assert event.event == "complained"


async def test_mailgun_temporary_failures_are_not_bounces_and_bad_json_is_a_payload_error() -> None:
    import hashlib
    import hmac

    config = MailgunConfig(api_key="k", from_address="a@b.example", domain="mg.example", webhook_signing_key="sk")
    sig = hmac.new(b"sk", b"1t", hashlib.sha256).hexdigest()
    body = json.dumps({"signature": {"timestamp": "1", "token": "t", "signature": sig},
                       "event-data": {"event": "failed", "severity": "temporary", "timestamp": 1}}).encode()
    parse = parser_for("mailgun")
    assert parse is not None
    parsed = await parse(InboundRequest(URL, {}, body), config, CTX)
    assert (parsed.events, parsed.ignored) == ([], 1)
    with pytest.raises(PayloadError):
        await parse(InboundRequest(URL, {}, b"{"), config, CTX)
