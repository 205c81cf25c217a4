"""Email as mail clients and spam filters expect it: multipart/alternative with a text part, and a
List-Unsubscribe header whose one-click POST (RFC 8058) switches that workflow's email off."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.pipeline.conftest import Pipeline
from tests.pipeline.factories import add_workflow

ADA = {"subscriberId": "ada", "email": "ada@example.test", "firstName": "Ada"}
HTML_ONLY = [{"id": "mail", "type": "email", "active": True,
              "controls": {"subject": "News",
                           "body": "<h1>Hello {{ subscriber.firstName }}</h1><p>Read <b>this</b>.</p>"}}]


async def test_html_only_step_goes_out_with_a_text_part_and_one_click_unsubscribe(delivery: Pipeline) -> None:
    p = delivery
    await add_workflow(p.sessions, p.tenancy.env_a.id, "news", steps=HTML_ONLY)
    assert (await p.trigger({"name": "news", "to": ADA, "transactionId": "tx-1"})).status_code == 201
    await p.finish("tx-1")

    (mail,) = p.mailbox.to("ada@example.test")
    assert mail.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_payload(decode=True).decode() for part in mail.get_payload()}
    assert "Hello Ada" in parts["text/plain"] and "Read this." in parts["text/plain"]
    assert "<b>this</b>" in parts["text/html"] and "<" not in parts["text/plain"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = mail["List-Unsubscribe"].strip("<>")
    path = urlsplit(link).path
    assert path.startswith("/v1/unsubscribe/")

    page = await p.client.get(path)  # a link scanner's GET changes nothing
    assert page.status_code == 200 and "<form" in page.text
    assert (await p.trigger({"name": "news", "to": ADA, "transactionId": "tx-2"})).status_code == 201
    await p.finish("tx-2")
    assert len(p.mailbox.to("ada@example.test")) == 2

    done = await p.client.post(path, content=b"List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200 and "unsubscribed" in done.text
    assert (await p.trigger({"name": "news", "to": ADA, "transactionId": "tx-3"})).status_code == 201
    await p.finish("tx-3")
    assert len(p.mailbox.to("ada@example.test")) == 2  # the workflow's email is now off for Ada

    forged = path[:-4] + ("AAAA" if not path.endswith("AAAA") else "BBBB")
    assert (await p.client.post(forged)).status_code == 404
