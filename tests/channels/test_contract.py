"""One contract suite, parametrized over every built-in provider (STYLE P12).

Each case says how to configure its provider against the local servers, what to send, and what
the server must have received. The shared tests then deliver for real and check error mapping.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import standardwebhooks
from pydantic import BaseModel

from channels import (
    Attachment,
    ChatMessage,
    DeliveryError,
    EmailMessage,
    InAppMessage,
    PermanentDeliveryError,
    ProviderContext,
    PushMessage,
    RetryableDeliveryError,
    SendResult,
    SmsMessage,
    WebhookMessage,
)
from channels.apprise_bridge import AppriseProvider
from channels.discord_webhook import DiscordWebhookProvider
from channels.expo_push import ExpoPushProvider
from channels.fcm_push import FcmPushProvider
from channels.http_sms import HttpSmsProvider
from channels.in_app import InAppProvider
from channels.mailgun import MailgunProvider
from channels.mattermost_webhook import MattermostWebhookProvider
from channels.msteams_webhook import MsTeamsWebhookProvider
from channels.postmark import PostmarkProvider
from channels.registry import ChannelRegistry
from channels.resend import ResendProvider
from channels.sendgrid import SendgridProvider
from channels.ses import SesProvider
from channels.slack_bot import SlackBotProvider
from channels.slack_webhook import SlackWebhookProvider
from channels.smtp import SmtpProvider
from channels.testing import assert_declares_contract, assert_hides_secrets
from channels.twilio_sms import TwilioSmsProvider
from channels.web_push import WebPushProvider
from channels.webhook import WebhookProvider

# Apprise loads every plugin on first use; one of them imports the deprecated imghdr module.
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
# The fake servers listen on loopback, which only dev mode may reach; the guard has tests of its own.
LOCAL = ProviderContext(allow_private_addresses=True)
KEY = "run-1:step-2"


@dataclass
class Env:
    """Where the provider under test delivers: filled per test with real local servers."""

    url: str = "http://127.0.0.1:9"
    smtp_port: int = 25
    sunk: list[tuple[InAppMessage, str]] = field(default_factory=list)

    async def sink(self, message: InAppMessage, *, idempotency_key: str) -> str:
        self.sunk.append((message, idempotency_key))
        return f"stored-{len(self.sunk)}"


@dataclass(frozen=True)
class Case:
    provider: Any
    config: Callable[[Env], dict[str, Any]]
    message: BaseModel | Callable[[Env], BaseModel]  # a callable when it must name the server
    verify: Callable[[Env, list[Any], SendResult], None]
    path: str | None = None  # the send request's path, for HTTP providers
    ok: dict[str, Any] = field(default_factory=dict)  # how the HTTP server answers success
    maps_status: bool = True  # the provider sees HTTP statuses (Apprise only says yes/no)

    def message_for(self, env: Env) -> BaseModel:
        return self.message(env) if callable(self.message) else self.message


def _slack(env: Env, reqs: list[Any], result: SendResult) -> None:
    (req,) = reqs
    assert (req.method, req.path) == ("POST", "/hooks/slack")
    assert req.json() == {"text": "Hello <b>Ada</b>", "username": "clarion"}


def _slack_bot(env: Env, reqs: list[Any], result: SendResult) -> None:
    (req,) = reqs
    assert req.path == "/api/chat.postMessage"
    assert req.headers["authorization"] == "Bearer xoxb-secret-1"
    assert req.json() == {"channel": "C042", "text": "Hello <b>Ada</b>"}
    assert result.provider_message_id == "1700000000.0001"


def _discord(env: Env, reqs: list[Any], result: SendResult) -> None:
    (req,) = reqs
    assert req.path == "/hooks/discord" and req.query == {"wait": ["true"]}
    assert req.json() == {"content": "Hello <b>Ada</b>"}
    assert result.provider_message_id == "990"


def _teams(env: Env, reqs: list[Any], result: SendResult) -> None:
    (req,) = reqs
    attachment = req.json()["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["body"][0]["text"] == "Hello <b>Ada</b>"


def _mattermost(env: Env, reqs: list[Any], result: SendResult) -> None:
    (req,) = reqs
    assert req.json() == {"text": "Hello <b>Ada</b>", "channel": "town-square", "username": "clarion"}


def _twilio(env: Env, reqs: list[Any], result: SendResult) -> None:
    (req,) = reqs
    assert req.path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert req.headers["authorization"] == "Basic " + base64.b64encode(b"AC123:twilio-secret").decode()
    assert req.form() == {"To": "+15550001111", "From": "+15559998888", "Body": "Your code is 1234"}
    assert result.provider_message_id == "SM42"


def _http_sms(env: Env, reqs: list[Any], result: SendResult) -> None:
    (req,) = reqs
    assert (req.method, req.path) == ("PUT", "/sms")
    assert req.headers["x-api-key"] == "gateway-secret" and req.headers["idempotency-key"] == KEY
    assert req.json() == {"route": "fast", "msisdn": "+15550001111", "text": "Your code is 1234"}
    assert result.provider_message_id == "gw-7"


def _expo(env: Env, reqs: list[Any], result: SendResult) -> None:
    (req,) = reqs
    assert req.headers["authorization"] == "Bearer expo-secret"
    assert [m["to"] for m in req.json()] == ["ExponentPushToken[a]", "ExponentPushToken[b]"]
    assert req.json()[0] == {
        "to": "ExponentPushToken[a]",
        "title": "Hi",
        "body": "You have mail",
        "data": {"n": 1},
    }
    assert result.detail["message_ids"] == ["t-1", "t-2"] and result.detail["failed_tokens"] == {}


def _fcm(env: Env, reqs: list[Any], result: SendResult) -> None:
    assert [r.path for r in reqs] == ["/v1/projects/demo-proj/messages:send"] * 2
    assert {r.headers["authorization"] for r in reqs} == {"Bearer fcm-access-secret"}
    first = reqs[0].json()["message"]
    assert first == {
        "token": "tok-a",
        "notification": {"title": "Hi", "body": "You have mail"},
        "data": {"n": "1"},
    }
    assert result.provider_message_id == "projects/demo-proj/messages/1"


def _webhook(env: Env, reqs: list[Any], result: SendResult) -> None:
    (req,) = reqs
    assert req.headers["webhook-id"] == "msg_2a" and req.headers["x-tenant"] == "acme"
    verified = standardwebhooks.Webhook(WEBHOOK_SECRET).verify(req.body, req.headers)
    assert verified["type"] == "order.paid" and verified["data"] == {"order": 7}
    assert abs(int(req.headers["webhook-timestamp"]) - time.time()) < 30


def _apprise(env: Env, reqs: list[Any], result: SendResult) -> None:
    (req,) = reqs
    assert req.path == "/apprise"
    assert req.json()["message"] == "Hello <b>Ada</b>" and req.json()["title"] == "Clarion"


def _smtp(env: Env, mails: list[Any], result: SendResult) -> None:
    (mail,) = mails
    assert mail.rcpt_tos == ["ada@example.com"] and mail.mail_from == "noreply@clarion.localhost"
    msg = mail.message
    assert msg["Subject"] == "Welcome" and msg["Message-ID"] == result.provider_message_id
    assert msg.get_body(("html",)).get_content().strip() == "<p>Hello</p>"


def _in_app(env: Env, _: list[Any], result: SendResult) -> None:
    ((message, key),) = env.sunk
    assert message.subscriber_id == "sub-1" and key == KEY
    assert result.provider_message_id == "stored-1"


MAIL = EmailMessage(
    to=["ada@example.com"], cc=["bob@example.com"], subject="Welcome", html="<p>Hello</p>", text="Hello",
    headers={"X-Campaign": "spring"},
    attachments=[Attachment(filename="a.txt", content_base64=base64.b64encode(b"hi").decode(), mime_type="text/plain")],
)
MAIL_CONFIG = {"api_key": "mail-secret", "from_address": "noreply@clarion.example", "from_name": "Clarion"}


def _sendgrid(env: Env, reqs: list[Any], result: SendResult) -> None:
    (req,) = reqs
    assert (req.method, req.path) == ("POST", "/v3/mail/send")
    assert req.headers["authorization"] == "Bearer mail-secret"
    body = req.json()
    assert body["personalizations"] == [{"to": [{"email": "ada@example.com"}], "cc": [{"email": "bob@example.com"}]}]
    assert body["from"] == {"email": "noreply@clarion.example", "name": "Clarion"}
    assert body["content"] == [{"type": "text/plain", "value": "Hello"}, {"type": "text/html", "value": "<p>Hello</p>"}]
    assert body["headers"] == {"X-Campaign": "spring"} and body["custom_args"] == {"clarion_key": KEY}
    assert body["attachments"] == [
        {"content": "aGk=", "filename": "a.txt", "type": "text/plain", "disposition": "attachment"}
    ]
    assert result.provider_message_id == "sg-msg-1"


def _ses(env: Env, reqs: list[Any], result: SendResult) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    (req,) = reqs
    assert (req.method, req.path) == ("POST", "/v2/email/outbound-emails")
    # Re-derive the SigV4 signature from what arrived: method, host, path, headers and body.
    auth = SigV4Auth(Credentials("AKIDEXAMPLE", "mail-secret"), "ses", "eu-west-1")
    replay = AWSRequest(method="POST", url=env.url + req.target, data=req.body, headers={
        "Content-Type": req.headers["content-type"], "X-Amz-Date": req.headers["x-amz-date"]})
    replay.context["timestamp"] = req.headers["x-amz-date"]
    signature = auth.signature(auth.string_to_sign(replay, auth.canonical_request(replay)), replay)
    scope = f"AKIDEXAMPLE/{req.headers['x-amz-date'][:8]}/eu-west-1/ses/aws4_request"
    assert req.headers["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=")
    assert req.headers["authorization"].endswith(f"Signature={signature}")
    body = req.json()
    assert body["FromEmailAddress"] == "Clarion <noreply@clarion.example>"
    assert body["Destination"] == {"ToAddresses": ["ada@example.com"], "CcAddresses": ["bob@example.com"]}
    # An attachment makes it a raw MIME message.
    from email import message_from_bytes, policy

    mime = message_from_bytes(base64.b64decode(body["Content"]["Raw"]["Data"]), policy=policy.default)
    assert mime["X-Campaign"] == "spring" and mime["Subject"] == "Welcome"
    assert [p.get_filename() for p in mime.iter_attachments()] == ["a.txt"]
    assert mime.get_body(("plain",)).get_content().strip() == "Hello"
    assert result.provider_message_id == "ses-0100-1"


def _postmark(env: Env, reqs: list[Any], result: SendResult) -> None:
    (req,) = reqs
    assert (req.method, req.path) == ("POST", "/email")
    assert req.headers["x-postmark-server-token"] == "mail-secret"
    body = req.json()
    assert (body["From"], body["To"], body["Cc"]) == ("Clarion <noreply@clarion.example>", "ada@example.com",
                                                      "bob@example.com")
    assert (body["HtmlBody"], body["TextBody"], body["MessageStream"]) == ("<p>Hello</p>", "Hello", "outbound")
    assert body["Headers"] == [{"Name": "X-Campaign", "Value": "spring"}]
    assert body["Attachments"] == [{"Name": "a.txt", "Content": "aGk=", "ContentType": "text/plain"}]
    assert result.provider_message_id == "pm-42"


def _resend(env: Env, reqs: list[Any], result: SendResult) -> None:
    (req,) = reqs
    assert (req.method, req.path) == ("POST", "/emails")
    assert req.headers["authorization"] == "Bearer mail-secret" and req.headers["idempotency-key"] == KEY
    body = req.json()
    assert (body["from"], body["to"], body["cc"]) == ("Clarion <noreply@clarion.example>", ["ada@example.com"],
                                                      ["bob@example.com"])
    assert (body["html"], body["text"], body["headers"]) == ("<p>Hello</p>", "Hello", {"X-Campaign": "spring"})
    assert body["attachments"] == [{"filename": "a.txt", "content": "aGk=", "content_type": "text/plain"}]
    assert result.provider_message_id == "re-1"


def _mailgun(env: Env, reqs: list[Any], result: SendResult) -> None:
    from email import message_from_bytes, policy

    (req,) = reqs
    assert (req.method, req.path) == ("POST", "/v3/mg.example/messages")
    assert req.headers["authorization"] == "Basic " + base64.b64encode(b"api:mail-secret").decode()
    form = message_from_bytes(b"Content-Type: " + req.headers["content-type"].encode() + b"\r\n\r\n" + req.body,
                              policy=policy.default)
    fields = [(p.get_param("name", header="content-disposition"), p.get_filename(), p.get_payload(decode=True))
              for p in form.iter_parts()]
    assert ("to", None, b"ada@example.com") in fields and ("cc", None, b"bob@example.com") in fields
    assert ("h:X-Campaign", None, b"spring") in fields and ("text", None, b"Hello") in fields
    assert ("attachment", "a.txt", b"hi") in fields
    assert result.provider_message_id == "20261202.1@mg.example"


# A fixed VAPID private key and a browser's public key (P-256), only for the contract case.
VAPID_KEY = "7Zb5j3m2M4v0wS7n0bq1W8u4y1dE3gY9K2pQ6rT5xVk"
BROWSER_P256DH = (
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
)


def _web_push(env: Env, reqs: list[Any], result: SendResult) -> None:
    (req,) = reqs
    assert req.headers["content-encoding"] == "aes128gcm" and req.headers["authorization"].startswith("vapid t=")
    assert result.detail["failed_tokens"] == {}


CHAT = ChatMessage(content="Hello <b>Ada</b>")
SMS = SmsMessage(to="+15550001111", content="Your code is 1234", **{"from": "+15559998888"})
PUSH = PushMessage(tokens=["tok-a", "tok-b"], title="Hi", content="You have mail", data={"n": 1})

CASES = [
    Case(
        SmtpProvider,
        lambda e: {
            "host": "127.0.0.1",
            "port": e.smtp_port,
            "security": "none",
            "from_address": "noreply@clarion.localhost",
            "password": "smtp-secret",
            "username": None,
        },
        EmailMessage(to=["ada@example.com"], subject="Welcome", html="<p>Hello</p>", text="Hello"),
        _smtp,
    ),
    Case(InAppProvider, lambda e: {}, InAppMessage(subscriber_id="sub-1", content="Hi"), _in_app),
    Case(
        SlackWebhookProvider,
        lambda e: {"webhook_url": f"{e.url}/hooks/slack", "username": "clarion"},
        CHAT,
        _slack,
        "/hooks/slack",
    ),
    Case(
        SlackBotProvider,
        lambda e: {"bot_token": "xoxb-secret-1", "base_url": e.url},
        CHAT.model_copy(update={"channel": "C042"}),
        _slack_bot,
        "/api/chat.postMessage",
        {"json_body": {"ok": True, "ts": "1700000000.0001", "channel": "C042"}},
    ),
    # The subscriber's own webhook URL must win over the integration's default.
    Case(
        DiscordWebhookProvider,
        lambda e: {"webhook_url": "http://127.0.0.1:9/unused"},
        lambda e: CHAT.model_copy(update={"webhook_url": f"{e.url}/hooks/discord"}),
        _discord,
        "/hooks/discord",
        {"json_body": {"id": "990"}},
    ),
    Case(
        MsTeamsWebhookProvider,
        lambda e: {"webhook_url": f"{e.url}/hooks/teams"},
        CHAT,
        _teams,
        "/hooks/teams",
    ),
    Case(
        MattermostWebhookProvider,
        lambda e: {"webhook_url": f"{e.url}/hooks/mm", "username": "clarion"},
        CHAT.model_copy(update={"channel": "town-square"}),
        _mattermost,
        "/hooks/mm",
    ),
    Case(
        TwilioSmsProvider,
        lambda e: {"account_sid": "AC123", "auth_token": "twilio-secret", "base_url": e.url},
        SMS,
        _twilio,
        "/2010-04-01/Accounts/AC123/Messages.json",
        {"status": 201, "json_body": {"sid": "SM42", "status": "queued"}},
    ),
    Case(
        HttpSmsProvider,
        lambda e: {
            "url": f"{e.url}/sms",
            "method": "PUT",
            "headers": {"X-Api-Key": "gateway-secret"},
            "to_field": "msisdn",
            "content_field": "text",
            "from_field": "sender",
            "extra_fields": {"route": "fast", "msisdn": "overwritten"},
        },
        SmsMessage(to="+15550001111", content="Your code is 1234"),
        _http_sms,
        "/sms",
        {"json_body": {"id": "gw-7"}},
    ),
    Case(
        ExpoPushProvider,
        lambda e: {"access_token": "expo-secret", "base_url": e.url},
        PUSH.model_copy(update={"tokens": ["ExponentPushToken[a]", "ExponentPushToken[b]"]}),
        _expo,
        "/--/api/v2/push/send",
        {"json_body": {"data": [{"status": "ok", "id": "t-1"}, {"status": "ok", "id": "t-2"}]}},
    ),
    Case(
        FcmPushProvider,
        lambda e: {"project_id": "demo-proj", "access_token": "fcm-access-secret", "base_url": e.url},
        PUSH,
        _fcm,
        "/v1/projects/demo-proj/messages:send",
        {"json_body": {"name": "projects/demo-proj/messages/1"}},
    ),
    Case(
        WebhookProvider,
        lambda e: {"url": f"{e.url}/events", "secret": WEBHOOK_SECRET, "headers": {"X-Tenant": "acme"}},
        WebhookMessage(event_type="order.paid", payload={"order": 7}, webhook_id="msg_2a"),
        _webhook,
        "/events",
    ),
    Case(
        WebPushProvider,
        lambda e: {"vapid_private_key": VAPID_KEY, "vapid_subject": "mailto:ops@clarion.example"},
        lambda e: PushMessage(tokens=[json.dumps({"endpoint": f"{e.url}/push/1", "keys": {
            "p256dh": BROWSER_P256DH, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}})], title="Hi", content="x"),
        _web_push,
        "/push/1",
        {"status": 201},
        maps_status=False,  # per-token outcomes, as every push provider (tests/channels/test_web_push.py)
    ),
    Case(
        AppriseProvider,
        lambda e: {"urls": [f"json://{e.url.removeprefix('http://')}/apprise"], "title": "Clarion"},
        CHAT,
        _apprise,
        "/apprise",
        maps_status=False,
    ),
    Case(
        SendgridProvider, lambda e: {**MAIL_CONFIG, "base_url": e.url}, MAIL, _sendgrid, "/v3/mail/send",
        {"status": 202, "text": "", "headers": {"X-Message-Id": "sg-msg-1"}},
    ),
    Case(
        SesProvider,
        lambda e: {**MAIL_CONFIG, "access_key_id": "AKIDEXAMPLE", "region": "eu-west-1", "base_url": e.url},
        MAIL, _ses, "/v2/email/outbound-emails", {"json_body": {"MessageId": "ses-0100-1"}},
    ),
    Case(
        PostmarkProvider, lambda e: {**MAIL_CONFIG, "base_url": e.url}, MAIL, _postmark, "/email",
        {"json_body": {"To": "ada@example.com", "MessageID": "pm-42", "ErrorCode": 0, "Message": "OK"}},
    ),
    Case(ResendProvider, lambda e: {**MAIL_CONFIG, "base_url": e.url}, MAIL, _resend, "/emails",
         {"json_body": {"id": "re-1"}}),
    Case(
        MailgunProvider, lambda e: {**MAIL_CONFIG, "domain": "mg.example", "base_url": e.url}, MAIL, _mailgun,
        "/v3/mg.example/messages", {"json_body": {"id": "<20261202.1@mg.example>", "message": "Queued. Thank you."}},
    ),
]
IDS = [case.provider.id for case in CASES]
HTTP_CASES = [c for c in CASES if c.path and c.maps_status]


def test_every_builtin_has_a_case(builtin_registry: ChannelRegistry) -> None:
    assert sorted(IDS) == sorted(cls.id for cls in builtin_registry.classes())


@pytest.fixture
def builtin_registry() -> ChannelRegistry:
    return ChannelRegistry({case.provider.id: case.provider for case in CASES})


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_declares_the_contract(case: Case) -> None:
    assert_declares_contract(case.provider)
    send_hints = case.provider.send.__annotations__
    assert send_hints["return"] in ("SendResult", SendResult)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.provider is not InAppProvider], ids=lambda c: c.provider.id
)
def test_secrets_never_show_in_clear_text(case: Case) -> None:
    assert_hides_secrets(case.provider, case.config(Env()))


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("injected", [True, False], ids=["injected-client", "own-client"])
async def test_delivers_to_a_real_server(
    case: Case,
    injected: bool,
    request: pytest.FixtureRequest,
    builtin_registry: ChannelRegistry,
    http_server: Any,
    http_client: httpx.AsyncClient,
) -> None:
    env = Env()
    # The fake servers listen on loopback; the private-address guard has tests of its own.
    context = ProviderContext(in_app_sink=env.sink, allow_private_addresses=True)
    if case.provider is SmtpProvider:
        env.smtp_port = request.getfixturevalue("smtp_server").port
        recorded = request.getfixturevalue("smtp_recorder").received
    elif case.path:
        env.url = http_server.url
        http_server.reply(path=case.path, **case.ok)
        recorded = http_server.requests
        if injected:
            context = ProviderContext(http=http_client, allow_private_addresses=True)
    else:
        recorded = []
    provider = builtin_registry.create(case.provider.id, case.config(env), context=context)

    result = await provider.send(case.message_for(env), idempotency_key=KEY)

    assert result.provider_id == case.provider.id
    case.verify(env, recorded, result)


STATUSES = [
    (400, PermanentDeliveryError),
    (401, PermanentDeliveryError),
    (404, PermanentDeliveryError),
    (410, PermanentDeliveryError),
    (408, RetryableDeliveryError),
    (429, RetryableDeliveryError),
    (500, RetryableDeliveryError),
    (503, RetryableDeliveryError),
]


@pytest.mark.parametrize("status,error", STATUSES, ids=[str(s) for s, _ in STATUSES])
@pytest.mark.parametrize("case", HTTP_CASES, ids=lambda c: c.provider.id)
async def test_maps_http_status(
    case: Case, status: int, error: type[DeliveryError], http_server: Any
) -> None:
    http_server.reply(status, text="nope", headers={"Retry-After": "7"}, path=case.path)
    env = Env(url=http_server.url)
    provider = case.provider(
        case.provider.config_model.model_validate(case.config(env)), context=LOCAL
    )

    with pytest.raises(error) as caught:
        await provider.send(case.message_for(env), idempotency_key=KEY)

    assert type(caught.value) is error
    assert caught.value.provider_code == str(status)
    if isinstance(caught.value, RetryableDeliveryError):
        assert caught.value.retry_after == 7


@pytest.mark.parametrize("case", HTTP_CASES, ids=lambda c: c.provider.id)
async def test_timeout_is_retryable(case: Case, http_server: Any) -> None:
    http_server.reply(delay=2.0, path=case.path, **case.ok)
    env = Env(url=http_server.url)
    provider = case.provider(
        case.provider.config_model.model_validate({**case.config(env), "timeout": 0.2}), context=LOCAL
    )
    started = time.monotonic()

    with pytest.raises(RetryableDeliveryError, match="timed out"):
        await provider.send(case.message_for(env), idempotency_key=KEY)

    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("case", HTTP_CASES, ids=lambda c: c.provider.id)
async def test_connection_refused_is_retryable(
    case: Case, http_client: httpx.AsyncClient, closed_port: int
) -> None:
    env = Env(url=f"http://127.0.0.1:{closed_port}")
    provider = case.provider(
        case.provider.config_model.model_validate(case.config(env)),
        context=ProviderContext(http=http_client, allow_private_addresses=True),
    )

    with pytest.raises(RetryableDeliveryError, match="transport error"):
        await provider.send(case.message_for(env), idempotency_key=KEY)
