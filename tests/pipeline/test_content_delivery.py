"""Layouts and translations end to end: API → Temporal → worker → a real SMTP server."""

from __future__ import annotations

from email.header import decode_header, make_header
from email.message import Message
from typing import Any

from store import subscribers
from tests.pipeline.conftest import Pipeline


def html_of(mail: Message) -> str:
    part = next(p for p in mail.walk() if p.get_content_type() == "text/html")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode().rstrip("\r\n")  # SMTP ends the part with a line break


def subject_of(mail: Message) -> str:
    return str(make_header(decode_header(str(mail["Subject"]))))


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if status != 204 else None


async def add_people(pipeline: Pipeline, people: dict[str, dict[str, Any]]) -> None:
    async with pipeline.sessions() as session, session.begin():
        await subscribers.upsert_many(session=session, environment_id=pipeline.tenancy.env_a.id, profiles=people)


def email_step(step_id: str, subject: str, body: str, **controls: Any) -> dict[str, Any]:
    # Jinja: these templates call the translator, t('key', name=...).
    return {"name": step_id, "stepId": step_id, "type": "email", "templateSyntax": "jinja",
            "controlValues": {"subject": subject, "body": body, **controls}}


async def test_translated_email_in_the_default_layout_with_fallback(pipeline: Pipeline) -> None:
    c, h = pipeline.client, pipeline.headers
    await ok(await c.put("/v1/translations/en_US", headers=h, json={
        "subject": "Hello {name}", "body": {"line": "Your order shipped"}, "footer": "Thanks for shopping"}))
    await ok(await c.put("/v1/translations/de", headers=h, json={
        "subject": "Hallo {{name}}", "body": {"line": "Bestellung versandt"}}))
    await ok(await c.put("/v1/translations/settings", headers=h, json={"fallbackLocale": "en-US"}))
    layout = "<html><h1>{{ subject }}</h1>{{ body }}<footer>{{ t('footer') }} / {{ payload.shop }}</footer></html>"
    await ok(await c.post("/v1/layouts", headers=h, json={"name": "Brand", "isDefault": True, "content": layout}), 201)
    step = email_step("mail", "{{ t('subject', name=subscriber.firstName) }}",
                      "<p>{{ t('body.line') }}: {{ payload.shop }}</p>")
    await ok(await c.post("/v2/workflows", headers=h, json={"name": "Shipped", "workflowId": "shipped",
                                                             "steps": [step]}), 201)
    await add_people(pipeline, {
        "jo": {"email": "jo@example.test", "first_name": "Jo", "locale": "de_AT"},  # language match: de
        "ana": {"email": "ana@example.test", "first_name": "Ana", "locale": "fr"},  # no fr: the fallback
    })

    sent = await pipeline.trigger({"name": "shipped", "to": ["jo", "ana"], "payload": {"shop": "A&B"},
                                   "transactionId": "tx-content"})
    assert sent.status_code == 201, sent.text
    result = await pipeline.finish("tx-content")
    assert (result.sent, result.failed) == (2, 0)

    [jo] = pipeline.mailbox.to("jo@example.test")
    assert subject_of(jo) == "Hallo Jo"
    html = html_of(jo)
    assert html.startswith("<html><h1>Hallo Jo</h1><p>Bestellung versandt: A&amp;B</p>")
    # de has no footer: the fallback locale's; the body was escaped once, not twice.
    assert "<footer>Thanks for shopping / A&amp;B</footer>" in html and "&amp;amp;" not in html
    [ana] = pipeline.mailbox.to("ana@example.test")
    assert subject_of(ana) == "Hello Ana"
    assert "<h1>Hello Ana</h1><p>Your order shipped: A&amp;B</p>" in html_of(ana)
    [stored] = await pipeline.messages(channel="email", subscriber_id="jo")
    assert stored.subject == "Hallo Jo" and "<footer>" in (stored.content or "")


async def test_each_step_picks_its_layout_the_default_or_none(pipeline: Pipeline) -> None:
    c, h = pipeline.client, pipeline.headers
    await ok(await c.post("/v1/layouts", headers=h, json={
        "name": "Frame", "identifier": "frame", "content": '<div class="frame">{{ body }}</div>'}), 201)
    default = await ok(await c.post("/v1/layouts", headers=h, json={
        "name": "Default", "isDefault": True, "content": '<div class="default">{{{body}}}</div>'}), 201)
    steps = [email_step("one", "one", "<p>1</p>", layoutId="frame"),
             email_step("two", "two", "<p>2</p>", layoutId=None),
             email_step("three", "three", "<p>3 {{ t('missing.key') }}</p>")]
    await ok(await c.post("/v2/workflows", headers=h, json={"name": "Three", "workflowId": "three",
                                                             "steps": steps}), 201)
    await add_people(pipeline, {"pat": {"email": "pat@example.test"}})

    assert (await pipeline.trigger({"name": "three", "to": "pat", "transactionId": "tx-layouts"})).status_code == 201
    assert (await pipeline.finish("tx-layouts")).sent == 3
    by_subject = {subject_of(m): html_of(m) for m in pipeline.mailbox.to("pat@example.test")}
    assert by_subject["one"] == '<div class="frame"><p>1</p></div>'
    assert by_subject["two"] == "<p>2</p>"  # layoutId null: the body alone
    assert by_subject["three"] == '<div class="default"><p>3 missing.key</p></div>'  # unknown key: the key

    # With no default layout left, the step without layoutId sends its body alone.
    await ok(await c.patch(f"/v1/layouts/{default['data']['_id']}", headers=h, json={"isDefault": False}))
    assert (await pipeline.trigger({"name": "three", "to": "pat", "transactionId": "tx-plain"})).status_code == 201
    assert (await pipeline.finish("tx-plain")).sent == 3
    latest = pipeline.mailbox.to("pat@example.test")[3:]
    assert {subject_of(m): html_of(m) for m in latest}["three"] == "<p>3 missing.key</p>"
