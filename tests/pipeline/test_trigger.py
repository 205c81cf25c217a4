"""One HTTP trigger becomes an in-app message in the store and an email in a real SMTP server."""

from __future__ import annotations

from tests.pipeline.conftest import Pipeline


async def test_welcome_reaches_inbox_and_mailbox(pipeline: Pipeline) -> None:
    response = await pipeline.trigger({
        "name": "welcome",
        "to": {"subscriberId": "ada", "email": "ada@example.test", "firstName": "Ada"},
        "payload": {"appName": "Analytical Engine"},
        "transactionId": "tx-welcome-1",
    })
    assert response.status_code == 201, response.text
    assert response.json() == {"data": {"acknowledged": True, "status": "processed", "transactionId": "tx-welcome-1"}}
    result = await pipeline.finish("tx-welcome-1")
    assert (result.sent, result.failed) == (2, 0)

    [in_app] = await pipeline.messages(channel="in_app", subscriber_id="ada")
    assert in_app.subject == "Welcome, Ada!"
    assert in_app.content == "Hi Ada, welcome to Analytical Engine."
    assert in_app.status == "sent"
    [mail] = pipeline.mailbox.to("ada@example.test")
    assert mail["Subject"] == "Welcome to Analytical Engine"
    html = next(part for part in mail.walk() if part.get_content_type() == "text/html")
    assert "<p>Hello Ada,</p>" in html.get_payload(decode=True).decode()
    [stored_email] = await pipeline.messages(channel="email", subscriber_id="ada")
    assert stored_email.status == "sent"


async def test_generated_transaction_id_is_returned(pipeline: Pipeline) -> None:
    response = await pipeline.trigger({"name": "welcome", "to": "grace", "payload": {}})
    assert response.status_code == 201, response.text
    txid = response.json()["data"]["transactionId"]
    assert txid
    result = await pipeline.finish(txid)
    # grace has no email address: the email step is skipped for her, the in-app one is sent.
    assert (result.sent, result.skipped) == (1, 1)
