"""Novu's ``overrides.email`` and ``payload.attachments`` reach the SMTP server as Novu sends them."""

from __future__ import annotations

import base64

from tests.pipeline.conftest import Pipeline
from tests.pipeline.flow_helpers import create_workflow

PDF = b"%PDF-1.4 tiny invoice\n"
MAIL = {"name": "Mail", "type": "email", "controlValues": {
    "subject": "Invoice {{ payload.n }}", "body": "<p>Invoice {{ payload.n }} for {{ subscriber.firstName }}</p>"}}


async def test_overrides_and_attachments_in_the_raw_message(pipeline: Pipeline) -> None:
    await create_workflow(pipeline, "invoice", [MAIL])
    body = {
        "name": "invoice", "transactionId": "inv-1",
        "to": {"subscriberId": "ada", "email": "ada@example.test", "firstName": "Ada"},
        "payload": {"n": 7, "attachments": [
            {"file": base64.b64encode(PDF).decode(), "name": "invoice-7.pdf", "mime": "application/pdf"},
            {"file": base64.b64encode(b"only for chat").decode(), "name": "x.txt", "mime": "text/plain",
             "channels": ["chat"]},
        ]},
        "overrides": {"email": {
            "to": ["accounts@example.test", "ada@example.test"], "cc": ["boss@example.test"],
            "bcc": ["audit@example.test"], "from": "billing@shop.test", "senderName": "Shop Billing",
            "replyTo": "help@shop.test",
        }},
    }
    response = await pipeline.trigger(body)
    assert response.status_code == 201, response.text
    result = await pipeline.finish("inv-1")
    assert (result.sent, result.failed) == (1, 0)
    (mail,) = pipeline.mailbox.messages
    assert (mail["To"], mail["Cc"], mail["Bcc"]) == (
        "ada@example.test, accounts@example.test", "boss@example.test", None)
    assert (mail["From"], mail["Reply-To"], mail["Subject"]) == (
        "Shop Billing <billing@shop.test>", "help@shop.test", "Invoice 7")
    assert sorted(pipeline.mailbox.envelopes[0]) == sorted(
        ["ada@example.test", "accounts@example.test", "boss@example.test", "audit@example.test"])
    parts = [p for p in mail.walk() if p.get_filename()]
    assert [(p.get_filename(), p.get_content_type(), p.get_payload(decode=True)) for p in parts] == [
        ("invoice-7.pdf", "application/pdf", PDF)]
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html")
    assert "<p>Invoice 7 for Ada</p>" in html.get_payload(decode=True).decode()


async def test_a_bad_attachment_or_address_is_a_400_naming_it(pipeline: Pipeline) -> None:
    await create_workflow(pipeline, "invoice", [MAIL])
    cases = [
        ({"attachments": [{"file": "not base64!", "name": "a.pdf", "mime": "application/pdf"}]},
         {}, "payload.attachments[0].file"),
        ({"attachments": [{"file": "aGk=", "name": "../a.pdf"}]}, {}, "payload.attachments[0].name"),
        ({"attachments": [{"file": "aGk=", "name": "a", "mime": "pdf"}]}, {}, "payload.attachments[0].mime"),
        ({"attachments": "a.pdf"}, {}, "payload.attachments"),
        ({}, {"email": {"cc": ["not an address"]}}, "overrides.email.cc[0]"),
        ({}, {"email": {"senderName": "a\r\nBcc: x@y.z"}}, "overrides.email.senderName"),
    ]
    for payload, overrides, field in cases:
        response = await pipeline.trigger({"name": "invoice", "to": "ada", "payload": payload, "overrides": overrides})
        assert response.status_code == 400, response.text
        assert field in {e["field"] for e in response.json()["errors"]}, response.text
    assert pipeline.mailbox.messages == []
