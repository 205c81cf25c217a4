"""Novu's TypeScript SDK, unchanged, against a real Clarion (uvicorn, Temporal dev server, a worker, SMTP).

``story.mjs`` is a Novu user's Node script: it drives every resource ``@novu/api`` 3.19.1 offers that
Clarion implements, with the SDK's retries off. Every answer passes through the SDK's zod schemas, so a
response Clarion shapes wrongly is an error of that call; the test asserts there are none and checks
the values each call returned, the in-app messages and the email the SMTP server received.
"""

from __future__ import annotations

import asyncio
import json
from email.message import Message
from typing import Any

from tests.novu_ts.conftest import HERE
from tests.story.conftest import Story


async def run_story(story: Story, node: str, port: int, timeout: float = 300) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        node, str(HERE / "story.mjs"), story.url, story.pipeline.tenancy.key_a, str(port), cwd=HERE,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdin and proc.stdout and proc.stderr
    try:
        async with asyncio.timeout(timeout):
            while line := await proc.stdout.readline():
                message = json.loads(line)
                if "result" in message:
                    result: dict[str, Any] = message["result"]
                    return result
                answers = {tx: await story.outcome(tx) for tx in message["wait"]}
                proc.stdin.write(json.dumps(answers).encode() + b"\n")
                await proc.stdin.drain()
            raise AssertionError(f"the script ended without a result:\n{(await proc.stderr.read()).decode()}")
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


def _html(mail: Message) -> str:
    for part in mail.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    raise AssertionError("no HTML part")


async def test_novu_api_typescript_story(story: Story, node: str, smtp: Any) -> None:
    mailbox, port = smtp
    result = await run_story(story, node, port)
    assert result["errors"] == [], json.dumps(result["errors"], indent=1)
    out = {name: value["result"] if isinstance(value, dict) and "result" in value else value
           for name, value in result["out"].items()}

    env = story.pipeline.tenancy.env_a
    assert out["environments"][0]["id"] == str(env.id)
    mail, expo = out["integrationMail"], out["integrationExpo"]
    assert (mail["providerId"], mail["channel"], mail["primary"], mail["credentials"]["host"]) == (
        "nodemailer", "email", True, "127.0.0.1")
    assert (expo["providerId"], expo["channel"], expo["credentials"]["apiKey"][:4]) == ("expo", "push", "••••")
    assert {i["identifier"] for i in out["integrations"]} == {"ts-mail", "ts-expo"}

    assert (out["created"]["subscriberId"], out["created"]["data"], out["created"]["isOnline"]) == (
        "ts-ada", {"plan": "pro"}, False)
    channels = out["retrieved"]["channels"]
    assert [(c["providerId"], c.get("integrationIdentifier"), c["credentials"]) for c in channels] == [
        ("slack", None, {"webhookUrl": "https://hooks.slack.test/ada"}),
        ("expo", "ts-expo", {"deviceTokens": ["ExponentPushToken[ada]"]}),
    ]
    assert out["online"]["isOnline"] is True and out["patched"]["firstName"] == "Ada"
    assert out["bulk"] == {"updated": [], "created": [{"subscriberId": "ts-bo"}], "failed": []}
    assert [s["subscriberId"] for s in out["searched"]["data"]] == ["ts-ada"]

    assert (out["topicRenamed"]["name"], out["topicGot"]["name"], out["topics"]["totalCount"]) == (
        "Daily news", "Daily news", 1)
    assert sorted(s["subscriber"]["subscriberId"] for s in out["subscribed"]["data"]) == ["ts-ada", "ts-bo"]
    assert out["subscriptions"]["totalCount"] == 2
    assert [s["topic"]["key"] for s in out["adaTopics"]["data"]] == ["ts-news"]

    steps = out["workflow"]["steps"]
    assert [(s["type"], s["controlValues"]["body"][:22]) for s in steps] == [
        ("in_app", "Hi {{ subscriber.first"), ("email", "<p>{% if payload.vip %")]
    assert out["workflowGot"]["workflowId"] == "ts-welcome"
    assert out["layoutGot"]["controls"]["values"]["email"]["body"] == (
        "<html><body><main>{{content}}</main></body></html>")
    assert [layout["layoutId"] for layout in out["layouts"]["layouts"]] == ["ts-brand"]
    assert out["translationGot"]["content"] == {"greeting": "Hello"}

    story_prefs = [w for w in out["preferenceOff"]["workflows"] if w["workflow"]["identifier"] == "story"]
    assert story_prefs[0]["channels"] == {"inApp": False}

    # bo switched the story's in-app channel off: his copies are skipped; the delayed run was cancelled.
    sent = {"status": "completed", "sent": 2, "skipped": 0, "failed": 0}
    one_each = {"status": "completed", "sent": 1, "skipped": 1, "failed": 0}
    welcome, topic, broadcast = (out[name]["transactionId"] for name in ("trigger", "triggerTopic", "broadcast"))
    bulk_ada, bulk_bo = (r["transactionId"] for r in out["triggerBulk"])
    assert out["outcomes"] == {
        welcome: sent, topic: one_each, broadcast: one_each,
        bulk_ada: {"status": "completed", "sent": 1, "skipped": 0, "failed": 0},
        bulk_bo: {"status": "completed", "sent": 0, "skipped": 1, "failed": 0},
    }
    assert out["cancelled"] is True
    assert await story.pipeline.messages(transaction_id=out["triggerLater"]["transactionId"]) == []

    # The Liquid in-app body, as Novu renders it, through the v2 inbox and its marks.
    bodies = {n["transactionId"]: n["body"] for n in out["inbox"]["data"]}
    assert bodies[welcome] == "Hi ADA, order A-1: 2 items (tea, cake)"
    assert (bodies[topic], bodies[broadcast], bodies[bulk_ada]) == ("Order T-1 for Ada", "Order C-1 for Ada",
                                                                     "Order B-1 for Ada")
    assert out["count"] == [{"count": 4, "filter": {"read": False}}, {"count": 4, "filter": {"seen": False}}]
    assert (out["read"]["isRead"], out["read"]["isSeen"], out["archived"]["isArchived"]) == (True, True, True)
    assert out["countAfter"] == [{"count": 0, "filter": {"read": False}}, {"count": 1, "filter": {"archived": True}}]
    assert (out["feed"]["data"], out["unseen"]["count"], out["markAll"]) == ([], 0, 0)

    assert sorted(m["content"] for m in out["messages"]["data"] if m["channel"] == "in_app") == sorted(bodies.values())
    activity = {n["transactionId"] for n in out["activity"]["data"]}
    assert {welcome, topic, broadcast, bulk_ada, bulk_bo} <= activity
    assert out["activityOne"]["transactionId"] in activity

    assert out["unsubscribed"]["meta"] == {"totalCount": 1, "successful": 1, "failed": 0}
    assert out["topicDeleted"] == {"acknowledged": True}
    assert out["deleted"] == {"acknowledged": True, "status": "deleted"}

    # The Liquid email, sent through the integration created with Novu's provider id, in the v2 layout.
    (email,) = mailbox.to("ada@clarion.test")
    assert (str(email["Subject"]), str(email["From"])) == ("Welcome Ada", "Clarion Story <story@clarion.test>")
    assert _html(email).strip() == "<html><body><main><p>VIP since Jan 15, 2026 [no coupon]</p></main></body></html>"
    assert (email["Cc"], email["Reply-To"]) == ("accounts@clarion.test", "help@clarion.test")
    files = [(p.get_filename(), p.get_content_type(), p.get_payload(decode=True))
             for p in email.walk() if p.get_filename()]
    assert files == [("receipt.txt", "text/plain", b"receipt A-1")]
