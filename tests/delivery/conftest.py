"""Fake vendor email APIs (documented request/response shapes), signers of their delivery events,
and the pipeline (API + worker) wired to them."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import standardwebhooks
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from fastapi import FastAPI, Request, Response
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from channels.delivery_events.ses import string_to_sign
from channels.delivery_events.twilio import signature as twilio_signature
from core.settings import WebhookSettings
from store.engine import make_sessions
from tests.pipeline.conftest import Mailbox, Pipeline, open_pipeline, pipeline_settings, smtp
from tests.qala.conftest import Receiver, receiver, until
from tests.sdk import serve

__all__ = ["Keys", "Receiver", "Vendor", "delivery", "keys", "receiver", "smtp", "until", "vendor"]

RESEND_SECRET = "whsec_" + base64.b64encode(b"resend-signing-key-0123456789abc").decode()


@dataclass
class Keys:
    """Verification material: SendGrid's ECDSA pair, an SNS certificate, the shared secrets."""

    sendgrid: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    sns: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537,
                                                                                    key_size=2048))

    @property
    def sendgrid_public(self) -> str:
        der = self.sendgrid.public_key().public_bytes(serialization.Encoding.DER,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(der).decode()

    def sns_cert(self) -> bytes:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.sns.public_key())
                .serial_number(1).not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=1)).sign(self.sns, hashes.SHA256()))
        return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys()


@dataclass
class Vendor:
    """One local server answering like SendGrid, SES v2, Postmark, Resend and Mailgun (and SNS's cert)."""

    keys: Keys
    url: str = ""
    sent: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    confirmations: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v3/mail/send")
        async def sendgrid(request: Request) -> Response:
            self.sent.append(("sendgrid", dict(request.headers), await request.body()))
            return Response(status_code=202, headers={"X-Message-Id": f"sg{len(self.sent)}"})

        @app.post("/v2/email/outbound-emails")
        async def ses(request: Request) -> Any:
            self.sent.append(("ses", dict(request.headers), await request.body()))
            return {"MessageId": f"0100-ses-{len(self.sent)}"}

        @app.post("/email")
        async def postmark(request: Request) -> Any:
            self.sent.append(("postmark", dict(request.headers), await request.body()))
            return {"To": "x", "SubmittedAt": "2026-12-02T12:00:00Z", "MessageID": f"pm-{len(self.sent)}",
                    "ErrorCode": 0, "Message": "OK"}

        @app.post("/emails")
        async def resend(request: Request) -> Any:
            self.sent.append(("resend", dict(request.headers), await request.body()))
            return {"id": f"re-{len(self.sent)}"}

        @app.post("/v3/{domain}/messages")
        async def mailgun(domain: str, request: Request) -> Any:
            self.sent.append(("mailgun", dict(request.headers), await request.body()))
            return {"id": f"<mg-{len(self.sent)}@{domain}>", "message": "Queued. Thank you."}

        @app.get("/sns/cert.pem")
        async def cert() -> Response:
            return Response(self.keys.sns_cert(), media_type="application/x-pem-file")

        @app.get("/sns/confirm")
        async def confirm() -> Response:
            self.confirmations += 1
            return Response("<ConfirmSubscriptionResponse/>", media_type="text/xml")

        return app

    def credentials(self, provider: str) -> dict[str, Any]:
        base = {"api_key": f"{provider}-key", "from_address": "noreply@clarion.example", "base_url": self.url}
        extra: dict[str, dict[str, Any]] = {
            "sendgrid": {"webhook_verification_key": self.keys.sendgrid_public},
            "ses": {"access_key_id": "AKIDEXAMPLE", "sns_topic_arns": ["arn:aws:sns:us-east-1:1:ses-events"]},
            "postmark": {"webhook_password": "pm-hook-secret"},
            "resend": {"webhook_secret": RESEND_SECRET},
            "mailgun": {"domain": "mg.example", "webhook_signing_key": "mg-signing-key"},
        }
        return {**base, **extra[provider]}

    def event(self, provider: str, message_id: str, event: str, *, event_id: str | None = None,
              url: str = "") -> tuple[dict[str, str], bytes]:
        """A signed delivery event for ``message_id`` as ``provider`` would post it."""
        eid = event_id or uuid.uuid4().hex
        now = int(time.time())
        if provider == "sendgrid":
            name = {"delivered": "delivered", "bounced": "bounce", "opened": "open"}[event]
            body = json.dumps([{"email": "ada@example.test", "timestamp": now, "event": name, "sg_event_id": eid,
                                "sg_message_id": f"{message_id}.filter0001.1.2", "type": "bounce"}]).encode()
            ts = str(now)
            sig = self.keys.sendgrid.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))
            return {"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(sig).decode(),
                    "X-Twilio-Email-Event-Webhook-Timestamp": ts, "Content-Type": "application/json"}, body
        if provider == "ses":
            kind = {"delivered": "Delivery", "bounced": "Bounce", "opened": "Open"}[event]
            ses = {"eventType": kind, "mail": {"messageId": message_id, "timestamp": "2026-12-02T12:00:00Z"},
                   "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                              "timestamp": "2026-12-02T12:00:01Z"},
                   "delivery": {"timestamp": "2026-12-02T12:00:01Z"}, "open": {"timestamp": "2026-12-02T12:00:02Z"}}
            return self.sns({"Type": "Notification", "MessageId": eid, "Message": json.dumps(ses)})
        if provider == "postmark":
            record = {"delivered": "Delivery", "bounced": "Bounce", "opened": "Open"}[event]
            body = json.dumps({"RecordType": record, "MessageID": message_id, "ID": eid, "Type": "HardBounce",
                               "DeliveredAt": "2026-12-02T12:00:01Z", "BouncedAt": "2026-12-02T12:00:01Z",
                               "ReceivedAt": "2026-12-02T12:00:02Z", "Description": "mailbox does not exist"}).encode()
            auth = base64.b64encode(b"postmark:pm-hook-secret").decode()
            return {"Authorization": f"Basic {auth}", "Content-Type": "application/json"}, body
        if provider == "resend":
            kind = {"delivered": "email.delivered", "bounced": "email.bounced", "opened": "email.opened"}[event]
            body = json.dumps({"type": kind, "created_at": "2026-12-02T12:00:01.000Z",
                               "data": {"email_id": message_id, "bounce": {"type": "Permanent",
                                                                           "message": "no such user"}}}).encode()
            signed = standardwebhooks.Webhook(RESEND_SECRET).sign(f"msg_{eid}", dt.datetime.now(dt.UTC), body.decode())
            return {"svix-id": f"msg_{eid}", "svix-timestamp": str(now), "svix-signature": signed,
                    "Content-Type": "application/json"}, body
        if provider == "mailgun":
            kind = {"delivered": "delivered", "bounced": "failed", "opened": "opened"}[event]
            token = uuid.uuid4().hex
            sig = hmac.new(b"mg-signing-key", f"{now}{token}".encode(), hashlib.sha256).hexdigest()
            body = json.dumps({"signature": {"timestamp": str(now), "token": token, "signature": sig},
                               "event-data": {"event": kind, "id": eid, "timestamp": now, "severity": "permanent",
                                              "reason": "bounce", "message": {"headers": {"message-id": message_id}},
                                              "delivery-status": {"description": "No such mailbox"}}}).encode()
            return {"Content-Type": "application/json"}, body
        raise AssertionError(provider)

    def sns(self, fields: dict[str, Any]) -> tuple[dict[str, str], bytes]:
        message = {"TopicArn": "arn:aws:sns:us-east-1:1:ses-events", "Timestamp": "2026-12-02T12:00:01.000Z",
                   "SignatureVersion": "2", "SigningCertURL": f"{self.url}/sns/cert.pem", **fields}
        signature = self.keys.sns.sign(string_to_sign(message), padding.PKCS1v15(), hashes.SHA256())
        message["Signature"] = base64.b64encode(signature).decode()
        return {"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": fields["Type"]}, \
            json.dumps(message).encode()

    @staticmethod
    def twilio(url: str, token: str, form: dict[str, str]) -> dict[str, str]:
        return {"X-Twilio-Signature": twilio_signature(token, url, list(form.items()))}


@pytest.fixture
async def vendor(keys: Keys) -> AsyncIterator[Vendor]:
    v = Vendor(keys)
    async with serve(v.app()) as url:
        v.url = url
        yield v


@pytest.fixture
async def delivery(engine: AsyncEngine, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int],
                   vendor: Vendor) -> AsyncIterator[Pipeline]:
    """API and worker in this process; SNS URLs are accepted from the local vendor."""
    mailbox, port = smtp
    settings = pipeline_settings(port, f"tq-{uuid.uuid4().hex}")
    hooks = WebhookSettings(base_waits=[0.3] * 9, sns_url_pattern="^" + vendor.url.replace(".", r"\.") + "/sns/")
    # Rate-limited steps wait for their slots with the event loop busy serving 1000 sends: a 10 s
    # heartbeat keeps a loaded machine (and a 4-connection PostgreSQL test pool) from timing them out.
    worker = settings.worker.model_copy(update={"send_heartbeat_seconds": 10.0, "send_max_attempts": 5})
    settings = settings.model_copy(update={"webhooks": hooks, "worker": worker})
    async with open_pipeline(make_sessions(engine), temporal_env.client, mailbox, settings) as p:
        yield p
