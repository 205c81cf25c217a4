"""Amazon SES events through SNS: the SNS message signature is verified before anything is read.

SNS signs a canonical string of the message's fields with the key of the certificate at
``SigningCertURL`` (SHA1 for ``SignatureVersion`` 1, SHA256 for 2); the certificate is fetched
only from an ``sns.<region>.amazonaws.com`` HTTPS URL and cached. A ``SubscriptionConfirmation``
is confirmed by fetching its ``SubscribeURL`` (same rule). The integration may restrict
``sns_topic_arns``. SES reports ``Delivery``, ``Bounce``, ``Complaint``, ``Open``, ``Click`` and
``Reject`` (as ``notificationType`` or, with event publishing, ``eventType``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from channels.delivery_events import (
    DeliveryEvent,
    InboundRequest,
    ParseContext,
    Parsed,
    PayloadError,
    SignatureError,
    from_iso,
    json_body,
)

_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
_EVENTS = {"Delivery": "delivered", "Bounce": "bounced", "Complaint": "complained", "Open": "opened",
           "Click": "clicked", "Reject": "undelivered"}
_WHEN = {"Delivery": "delivery", "Bounce": "bounce", "Complaint": "complaint", "Open": "open", "Click": "click"}


def string_to_sign(message: dict[str, Any]) -> bytes:
    fields = _FIELDS.get(str(message.get("Type")))
    if fields is None:
        raise PayloadError(f"unknown SNS message Type {message.get('Type')!r}")
    return "".join(f"{name}\n{message[name]}\n" for name in fields if message.get(name) is not None).encode()


async def _fetch(context: ParseContext, url: str) -> bytes:
    if not re.match(context.sns_url_pattern, url):
        raise SignatureError(f"refusing an SNS URL outside {context.sns_url_pattern}: {url}")
    try:
        if context.http is not None:
            response = await context.http.get(url, timeout=10)
        else:
            async with httpx.AsyncClient() as client:
                response = await client.get(url, timeout=10)
    except httpx.HTTPError as exc:
        raise SignatureError(f"cannot fetch {url}: {exc}") from exc
    if not response.is_success:
        raise SignatureError(f"cannot fetch {url}: HTTP {response.status_code}")
    return response.content


async def verify(message: dict[str, Any], context: ParseContext) -> None:
    url = str(message.get("SigningCertURL", ""))
    pem = context.certificates.get(url)
    if pem is None:
        pem = await _fetch(context, url)
        context.certificates[url] = pem
    digest = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(str(message.get("SignatureVersion")))
    if digest is None:
        raise SignatureError(f"unknown SignatureVersion {message.get('SignatureVersion')!r}")
    try:
        key = x509.load_pem_x509_certificate(pem).public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise SignatureError("the SNS certificate has no RSA key")
        key.verify(base64.b64decode(str(message.get("Signature", ""))), string_to_sign(message),
                   padding.PKCS1v15(), digest)
    except (InvalidSignature, ValueError, binascii.Error) as exc:
        raise SignatureError("the SNS signature does not match") from exc


async def parse(request: InboundRequest, config: Any, context: ParseContext) -> Parsed:
    message = json_body(request)
    if not isinstance(message, dict):
        raise PayloadError("expected an SNS message object")
    await verify(message, context)
    topics = getattr(config, "sns_topic_arns", None) or []
    if topics and message.get("TopicArn") not in topics:
        raise SignatureError(f"SNS topic {message.get('TopicArn')!r} is not in sns_topic_arns")
    kind = message.get("Type")
    if kind == "SubscriptionConfirmation":
        await _fetch(context, str(message.get("SubscribeURL", "")))
        return Parsed(note=f"SNS subscription to {message.get('TopicArn')} confirmed")
    if kind != "Notification":
        return Parsed(ignored=1)
    try:
        ses = json.loads(str(message.get("Message")))
    except ValueError as exc:
        raise PayloadError("the SNS Message is not an SES notification") from exc
    kind = ses.get("eventType") or ses.get("notificationType") if isinstance(ses, dict) else None
    name = _EVENTS.get(str(kind))
    mail = ses.get("mail") if isinstance(ses, dict) else None
    if name is None or not isinstance(mail, dict) or not mail.get("messageId"):
        return Parsed(ignored=1)
    detail = ses.get(_WHEN.get(str(kind), ""), {}) or {}
    bounce = ses.get("bounce") or {}
    click = ses.get("click") or {}
    return Parsed(events=[DeliveryEvent(
        message_ids=[str(mail["messageId"])], event=name,
        occurred_at=from_iso(detail.get("timestamp") or message.get("Timestamp")),
        event_id=str(message.get("MessageId")),
        bounce_type=("hard" if bounce.get("bounceType") == "Permanent" else "soft") if name == "bounced" else None,
        reason=bounce.get("bounceSubType") or (ses.get("reject") or {}).get("reason"), url=click.get("link"),
        raw=ses,
    )])
