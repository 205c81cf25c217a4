"""Opt-in open/click tracking of SMTP email, end to end: a trigger sends through a real SMTP server,
fetching the mail's pixel and link changes the message to opened/clicked (feed, lifecycle endpoint)
exactly as a provider's delivery event would; forged tokens redirect nowhere; off leaves the HTML be."""

from __future__ import annotations

from email.message import Message
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import standardwebhooks

from tests.delivery.conftest import Receiver, until
from tests.pipeline.conftest import Pipeline
from tests.pipeline.factories import add_workflow

ADA = {"subscriberId": "ada", "email": "ada@example.test", "firstName": "Ada"}
OFFER = "https://shop.example.test/offer?x=1&y=2"
BODY = (f'<p>Hello {{{{ subscriber.firstName }}}}</p><a href="{OFFER.replace("&", "&amp;")}">Offer</a> '
        '<a href="mailto:help@example.test">Help</a>')
STEPS = [{"id": "mail", "type": "email", "active": True, "controls": {"subject": "Hi", "body": BODY}}]


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "img" and found.get("src"):
            self.images.append(str(found["src"]))
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))


def html_of(mail: Message) -> str:
    part = next(p for p in mail.walk() if p.get_content_type() == "text/html")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "utf-8")


def refs(html: str) -> _Refs:
    found = _Refs()
    found.feed(html)
    return found


async def call(p: Pipeline, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    response = await p.client.request(method, path, json=body, headers=p.headers)
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def send(p: Pipeline, transaction_id: str) -> str:
    answer = await p.trigger({"name": "promo", "to": ADA, "transactionId": transaction_id})
    assert answer.status_code == 201, answer.text
    await p.finish(transaction_id)
    return html_of(p.mailbox.messages[-1])


async def feed_texts(p: Pipeline, transaction_id: str) -> list[str]:
    feed = await call(p, "GET", f"/v1/notifications?transactionId={transaction_id}")
    return [d["detail"] for job in feed["data"][0]["jobs"] for d in job["executionDetails"]]


async def test_opening_and_clicking_a_tracked_email_show_in_the_feed_and_reach_the_endpoint(
    delivery: Pipeline, receiver: Receiver
) -> None:
    p = delivery
    assert (await call(p, "GET", "/v1/email-tracking"))["data"] == {"opens": False, "clicks": False}
    await call(p, "PUT", "/v1/email-tracking", {"opens": True, "clicks": True})
    endpoint = await call(p, "POST", "/v1/webhooks/endpoints", {
        "url": f"{receiver.url}/hooks", "eventTypes": ["message.opened", "message.clicked"]}, 201)
    await add_workflow(p.sessions, p.tenancy.env_a.id, "promo", steps=STEPS)
    html = await send(p, "tx-track")
    found = refs(html)
    [pixel] = [src for src in found.images if "/v1/t/o/" in src]
    tracked, mailto = found.links
    assert "/v1/t/c/" in tracked and OFFER not in html and mailto == "mailto:help@example.test"
    assert "Hello Ada" in html

    opened = await p.client.get(urlsplit(pixel).path)
    assert (opened.status_code, opened.headers["content-type"]) == (200, "image/gif")
    assert opened.content.startswith(b"GIF89a")
    (message,) = await p.messages(transaction_id="tx-track")
    assert message.status == "opened"
    again = await p.client.get(urlsplit(pixel).path)  # a second open is a duplicate, as a provider's would be
    assert again.status_code == 200

    clicked = await p.client.get(urlsplit(tracked).path, follow_redirects=False)
    assert (clicked.status_code, clicked.headers["location"]) == (302, OFFER)
    (message,) = await p.messages(transaction_id="tx-track")
    assert message.status == "clicked"

    texts = await feed_texts(p, "tx-track")
    assert sum(t.startswith("Opened, reported by clarion_tracking") for t in texts) == 1, texts
    assert sum(t.startswith("Clicked, reported by clarion_tracking") for t in texts) == 1, texts
    hooks = await until(lambda: len(receiver.at("/hooks")) >= 2 and receiver.at("/hooks"))
    verified = [standardwebhooks.Webhook(endpoint["data"]["secret"]).verify(r.body, r.headers) for r in hooks]
    assert sorted(v["type"] for v in verified) == ["message.clicked", "message.opened"]
    assert {v["data"]["messageId"] for v in verified} == {str(message.id)}
    assert [v["data"]["url"] for v in verified if v["type"] == "message.clicked"] == [OFFER]


async def test_a_tampered_token_is_a_404_and_redirects_nowhere(delivery: Pipeline) -> None:
    p = delivery
    await call(p, "PUT", "/v1/email-tracking", {"opens": True, "clicks": True})
    await add_workflow(p.sessions, p.tenancy.env_a.id, "promo", steps=STEPS)
    tracked = urlsplit(refs(await send(p, "tx-forge")).links[0]).path
    token = tracked.rsplit("/", 1)[1]
    body, signature = token.split(".")
    forged = [f"{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{signature}",  # other target, old signature
              f"{body}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}", "nonsense", f"{body}."]
    for bad in forged:
        answer = await p.client.get(f"/v1/t/c/{bad}", follow_redirects=False)
        assert answer.status_code == 404 and "location" not in answer.headers, (bad, answer.text)
    # A genuine click token is no open pixel, and the other way round.
    assert (await p.client.get(f"/v1/t/o/{token}")).status_code == 404
    (message,) = await p.messages(transaction_id="tx-forge")
    assert message.status == "sent"


async def test_with_tracking_off_the_html_is_left_as_rendered(delivery: Pipeline) -> None:
    p = delivery
    await add_workflow(p.sessions, p.tenancy.env_a.id, "promo", steps=STEPS)
    html = await send(p, "tx-plain")
    found = refs(html)
    assert found.links == [OFFER, "mailto:help@example.test"]
    assert "/v1/t/" not in html
    (message,) = await p.messages(transaction_id="tx-plain")
    assert "/v1/t/" not in message.content


async def test_the_setting_refuses_unknown_fields(delivery: Pipeline) -> None:
    answer = await delivery.client.put("/v1/email-tracking", json={"opens": True, "pixels": 1},
                                       headers=delivery.headers)
    assert answer.status_code == 422 and "pixels" in answer.text  # the native face answers validation as Novu does
