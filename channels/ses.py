"""Amazon SES v2 ``SendEmail``: ``POST /v2/email/outbound-emails``, signed with SigV4 by botocore.

Without attachments the message goes as ``Content.Simple`` (subject, text and HTML bodies,
headers); with attachments as ``Content.Raw``, a MIME message built with the standard library.
SES names its error in the ``x-amzn-ErrorType`` header; throttling (``TooManyRequestsException``,
``LimitExceededException`` when the sending rate is exceeded) is retryable, a refused message
(``MessageRejected``, unverified domain, paused account) permanent.
"""

from __future__ import annotations

import base64
import binascii
import json
from email.message import EmailMessage as MimeMessage
from typing import Any, ClassVar

import httpx
from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials  # type: ignore[import-untyped]
from pydantic import BaseModel, Field, SecretStr

from channels import _email_api, _http
from channels._email_api import HEADER_POLICY
from channels.base import Capabilities, Channel, ChannelProvider, CheckResult, SendResult
from channels.errors import DeliveryError, PermanentDeliveryError, RetryableDeliveryError
from channels.messages import EmailMessage

_THROTTLED = frozenset({"TooManyRequestsException", "LimitExceededException", "ThrottlingException"})


class SesConfig(_email_api.EmailApiConfig):
    """IAM credentials allowed ``ses:SendEmail``: ``api_key`` is the access key id's secret key."""

    access_key_id: str
    session_token: SecretStr | None = None
    region: str = "us-east-1"
    configuration_set: str | None = None
    base_url: str | None = None  # defaults to https://email.{region}.amazonaws.com
    # SNS topics whose notifications Clarion accepts for this integration (empty: any, once signed).
    sns_topic_arns: list[str] = Field(default_factory=list)


class SesProvider(ChannelProvider[SesConfig, EmailMessage]):
    """Sends email through Amazon SES (API v2)."""

    id: ClassVar[str] = "ses"
    channel: ClassVar[Channel] = Channel.EMAIL
    display_name: ClassVar[str] = "Amazon SES"
    config_model: ClassVar[type[BaseModel]] = SesConfig
    message_model: ClassVar[type[BaseModel]] = EmailMessage
    capabilities: ClassVar[Capabilities] = Capabilities(html=True, attachments=True, batch=True, check=True)

    async def send(self, message: EmailMessage, *, idempotency_key: str) -> SendResult:
        response = await self._request("POST", "/v2/email/outbound-emails", self.body(message))
        body = _http.json_or_empty(response)
        message_id = body.get("MessageId") if isinstance(body, dict) else None
        return SendResult(provider_id=self.id, provider_message_id=str(message_id) if message_id else None)

    def body(self, message: EmailMessage) -> dict[str, Any]:
        """The documented ``SendEmail`` request body."""
        headers = _email_api.custom_headers(self.id, message)
        body: dict[str, Any] = {
            "FromEmailAddress": _email_api.formatted_sender(self.config, message),
            "Destination": {
                "ToAddresses": message.to,
                **({"CcAddresses": message.cc} if message.cc else {}),
                **({"BccAddresses": message.bcc} if message.bcc else {}),
            },
        }
        if reply := _email_api.reply_to(self.config, message):
            body["ReplyToAddresses"] = [reply]
        if self.config.configuration_set:
            body["ConfigurationSetName"] = self.config.configuration_set
        if message.attachments:
            raw = self._mime(message, headers).as_bytes()
            body["Content"] = {"Raw": {"Data": base64.b64encode(raw).decode()}}
            return body
        content: dict[str, Any] = {}
        if message.text is not None:
            content["Text"] = {"Data": message.text, "Charset": "UTF-8"}
        if message.html is not None:
            content["Html"] = {"Data": message.html, "Charset": "UTF-8"}
        simple: dict[str, Any] = {"Subject": {"Data": message.subject, "Charset": "UTF-8"}, "Body": content}
        if headers:
            simple["Headers"] = [{"Name": k, "Value": v} for k, v in headers.items()]
        body["Content"] = {"Simple": simple}
        return body

    async def check(self) -> CheckResult:
        try:
            await self._request("GET", "/v2/email/account", None)
        except DeliveryError as exc:
            return CheckResult(ok=False, message=str(exc))
        return CheckResult(ok=True)

    def _mime(self, message: EmailMessage, headers: dict[str, str]) -> MimeMessage:
        mime = MimeMessage(policy=HEADER_POLICY)
        mime["From"] = _email_api.formatted_sender(self.config, message)
        mime["To"] = ", ".join(message.to)
        if message.cc:
            mime["Cc"] = ", ".join(message.cc)
        if reply := _email_api.reply_to(self.config, message):
            mime["Reply-To"] = reply
        mime["Subject"] = message.subject
        for name, value in headers.items():
            mime[name] = value
        if message.text is not None:
            mime.set_content(message.text)
            if message.html is not None:
                mime.add_alternative(message.html, subtype="html")
        elif message.html is not None:
            mime.set_content(message.html, subtype="html")
        for a in message.attachments:
            maintype, _, subtype = a.mime_type.partition("/")
            try:
                data = base64.b64decode(a.content_base64, validate=True)
            except binascii.Error as exc:
                raise PermanentDeliveryError(f"ses: attachment {a.filename!r} is not base64") from exc
            mime.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=a.filename)
        return mime

    def signed_headers(self, method: str, url: str, data: bytes) -> dict[str, str]:
        """SigV4 headers for one request (service ``ses``), computed by botocore's signer."""
        config = self.config
        credentials = Credentials(
            config.access_key_id, config.api_key.get_secret_value(),
            config.session_token.get_secret_value() if config.session_token else None,
        )
        request = AWSRequest(method=method, url=url, data=data, headers={"Content-Type": "application/json"})
        SigV4Auth(credentials, "ses", config.region).add_auth(request)
        return {k: str(v) for k, v in request.headers.items()}

    async def _request(self, method: str, path: str, body: dict[str, Any] | None) -> httpx.Response:
        base = self.config.base_url or f"https://email.{self.config.region}.amazonaws.com"
        url = base.rstrip("/") + path
        data = json.dumps(body).encode() if body is not None else b""
        response = await _http.request(
            self.context, method, url, timeout=self.config.timeout,
            headers=self.signed_headers(method, url, data), content=data or None,
        )
        if not response.is_success:
            raise _error(response)
        return response


def _error(response: httpx.Response) -> DeliveryError:
    body = _http.json_or_empty(response)
    kind = response.headers.get("x-amzn-errortype", "").split(":")[0] or (
        str(body.get("__type", "")).rpartition("#")[2] if isinstance(body, dict) else ""
    )
    detail = str(body.get("message") or body.get("Message") or "") if isinstance(body, dict) and body else response.text
    if kind in _THROTTLED:
        message = f"HTTP {response.status_code}: {kind}: {detail}"
        return RetryableDeliveryError(message, provider_code=kind, retry_after=_http.retry_after(response))
    error = _http.error_for_status(
        response.status_code, f"{kind}: {detail}" if kind else detail, retry_after=_http.retry_after(response),
        provider_code=kind or None,
    )
    return error or PermanentDeliveryError(f"HTTP {response.status_code}", provider_code=str(response.status_code))
