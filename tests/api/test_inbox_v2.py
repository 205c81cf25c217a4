"""Novu's v2 inbox: cursor list with filters, counts by JSON filters, bulk and per-notification changes."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from store.models import Message
from tests.api.inbox_data import T0, seed, stored

BASE = "/v2/subscribers/ada/notifications"


def _ns(body) -> list[int]:
    return [item["data"]["n"] for item in body["data"]]


async def _get(api, path, params=None, headers=None, status=200):
    response = await api.client.get(path, params=params, headers=headers or api.headers_a)
    assert response.status_code == status, response.text
    return response.json()


async def _send(api, method, path, body=None, headers=None, status=204):
    response = await api.client.request(method, path, json=body, headers=headers or api.headers_a)
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def _counts(api, *filters, headers=None) -> list[int]:
    body = await _get(api, f"{BASE}/count", params={"filters": json.dumps(filters)}, headers=headers)
    assert [r["filter"] for r in body["data"]] == list(filters)
    return [r["count"] for r in body["data"]]


def _order(inbox, keep=lambda m: True) -> list[int]:
    return [m.payload["n"] for m in inbox.feed if keep(m)]


async def test_list_walks_the_cursor_without_skipping_ties(native_api):
    inbox = await seed(native_api)
    seen_ids, after, pages = [], None, 0
    while True:
        params = {"limit": 2.0, **({"after": after} if after else {})}
        body = await _get(native_api, BASE, params=params)
        seen_ids += [item["id"] for item in body["data"]]
        pages += 1
        if not body["hasMore"]:
            break
        after = body["data"][-1]["id"]
    assert (seen_ids, pages) == ([str(m.id) for m in inbox.feed], 3)
    offset = await _get(native_api, BASE, params={"limit": 2, "offset": 3})
    assert (_ns(offset), offset["hasMore"]) == (_order(inbox)[3:5], True)
    assert (await _get(native_api, BASE))["filter"] == {}


async def test_list_item_is_novu_inbox_notification(native_api):
    inbox = await seed(native_api)
    item = (await _get(native_api, BASE, params={"limit": 1}))["data"][0]
    assert item["id"] == str(inbox.feed[0].id) and item["transactionId"] == inbox.feed[0].transaction_id
    assert (item["subject"], item["body"], item["avatar"]) == ("Your order", "message 6", "https://a/bell.png")
    assert item["to"] == {"id": str(inbox.ada.id), "subscriberId": "ada", "firstName": "Ada",
                          "avatar": "https://a/ada.png"}  # fmt: skip
    flags = ("isRead", "isSeen", "isArchived", "isSnoozed", "channelType", "severity")
    assert tuple(item[k] for k in flags) == (False, False, False, False, "in_app", "none")
    assert item["primaryAction"] == {"label": "Accept", "isCompleted": False,
                                     "redirect": {"url": "https://app.example/accept"}}  # fmt: skip
    assert item["secondaryAction"] == {"label": "Decline", "isCompleted": False}
    assert item["redirect"] == {"url": "https://app.example/orders/1"}
    assert item["workflow"] == {"id": str(inbox.workflow.id), "identifier": "welcome", "name": "Welcome",
                                "critical": True, "severity": "none", "tags": ["onboarding"]}  # fmt: skip
    flags = (item["tags"], item["data"]["n"], item.get("readAt"), item.get("firstSeenAt"))
    assert flags == (["onboarding"], 0, None, None)


async def test_list_filters(native_api):
    inbox = await seed(native_api)
    ms = int(T0.timestamp() * 1000)
    cases = [
        ({"read": "false"}, lambda m: not m.read),
        ({"seen": "true"}, lambda m: m.seen),
        ({"archived": "true"}, lambda m: False),
        ({"archived": "false", "read": "true"}, lambda m: m.read),
        ({"snoozed": "true"}, lambda m: False),
        ({"snoozed": "false"}, lambda m: True),
        ({"severity": ["high", "none"]}, lambda m: True),
        ({"severity": "high"}, lambda m: False),
        ({"tags": ["billing"]}, lambda m: m.payload["n"] % 2 == 1),
        ({"tags": ["billing", "onboarding"]}, lambda m: True),
        ({"data": json.dumps({"order": {"kind": "gift"}})}, lambda m: m.payload["n"] in (0, 1)),
        ({"createdGte": ms + 30 * 60_000}, lambda m: m.payload["n"] in (0, 1, 2)),
        ({"createdLte": float(ms + 20 * 60_000), "createdGte": ms + 20 * 60_000}, lambda m: m.payload["n"] in (3, 4)),
    ]
    for params, keep in cases:
        body = await _get(native_api, BASE, params=params)
        assert _ns(body) == _order(inbox, keep), params
    echo = (await _get(native_api, BASE, params={"read": "false", "tags": ["a"], "data": '{"x": 1}'}))["filter"]
    assert echo == {"read": False, "tags": ["a"], "data": {"x": 1}}


async def test_list_refuses_bad_filters_and_cursors(native_api):
    inbox = await seed(native_api)
    for params in ({"read": "false", "archived": "true"}, {"data": "nope"}, {"data": "[1]"}, {"after": "nope"},
                   {"data": '{"a":' * 3000 + "1" + "}" * 3000},
                   {"after": str(uuid.uuid4())}, {"after": str(inbox.bobs.id)}, {"after": str(inbox.foreign.id)},
                   {"after": str(inbox.email.id)}):  # fmt: skip
        await _get(native_api, BASE, params=params, status=400)
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"offset": 10**19}, {"severity": "urgent"},
                   {"createdGte": -1},
                   {"createdLte": 1e20}):  # fmt: skip
        await _get(native_api, BASE, params=params, status=422)
    await _get(native_api, "/v2/subscribers/nobody/notifications", status=400)


async def test_count_answers_one_capped_count_per_filter(native_api):
    inbox = await seed(native_api)
    counts = await _counts(
        native_api, {"read": False}, {"seen": False, "archived": False}, {"tags": ["billing"]},
        {"tags": {"and": [{"or": ["billing", "x"]}, {"or": ["billing"]}]}}, {"tags": {"and": [{"or": ["billing"]},
        {"or": ["onboarding"]}]}}, {"severity": "none"}, {"severity": ["low"]}, {"snoozed": True}, {},
        {"data": {"order": {"kind": "gift"}}}, {"data": '{"vip": true}', "contextKeys": ["tenant:x"]},
    )  # fmt: skip
    assert counts == [5, 4, 3, 3, 0, 6, 0, 0, 6, 2, 1]
    async with native_api.sessions() as s, s.begin():
        for i in range(120):
            s.add(Message(environment_id=inbox.feed[0].environment_id, idempotency_key=f"bulk-{i}",
                          notification_id=inbox.feed[0].notification_id, subscriber_pk=inbox.ada.id,
                          subscriber_id="ada", transaction_id="bulk", channel="in_app", step_id="s",
                          created_at=T0 - timedelta(days=1)))  # fmt: skip
    assert await _counts(native_api, {"read": False}, {"read": True}) == [100, 1]


async def test_count_refuses_malformed_filters(native_api):
    await seed(native_api)
    bad = ("nope", "{}", "[1]", json.dumps([{}] * 31), '[{"read": "maybe"}]', '[{"tags": 5}]',
           '[{"severity": "urgent"}]', '[{"read": false, "archived": true}]', '[{"data": "[1]"}]',
           '[{"tags": {"and": [{"and": ["a"]}]}}]', '[{"tags": {"or": [1]}}]', "[" * 5000 + "]" * 5000,
           json.dumps([{"data": {f"k{i}": i for i in range(51)}}]),
           '[{"data": ' + '{"a":' * 3000 + "1" + "}" * 3001 + "]")  # fmt: skip
    for filters in bad:
        await _get(native_api, f"{BASE}/count", params={"filters": filters}, status=400)
    await _get(native_api, f"{BASE}/count", status=422)
    await _get(native_api, "/v2/subscribers/nobody/notifications/count", params={"filters": "[{}]"}, status=400)


async def test_per_notification_changes_follow_novus_rules(native_api):
    inbox = await seed(native_api)
    target = inbox.feed[1]
    path = f"{BASE}/{target.id}"
    steps = [  # (route, isSeen, isRead, isArchived) afterwards
        ("read", True, True, False), ("unread", True, False, False), ("archive", True, True, True),
        ("unarchive", True, True, False), ("archive", True, True, True), ("unread", True, False, False),
    ]  # fmt: skip
    for route, *expected in steps:
        item = (await _send(native_api, "PATCH", f"{path}/{route}", status=200))["data"]
        assert [item["isSeen"], item["isRead"], item["isArchived"]] == expected, route
        row = await stored(native_api, target.id)
        assert [row.seen_at is not None, row.read_at is not None, row.archived_at is not None] == expected, route
    read_at = (await _send(native_api, "PATCH", f"{path}/read", status=200))["data"]["readAt"]
    assert (await _send(native_api, "PATCH", f"{path}/archive", status=200))["data"]["readAt"] == read_at
    for other in ("nope", uuid.uuid4(), inbox.bobs.id, inbox.foreign.id, inbox.email.id, inbox.deleted.id):
        await _send(native_api, "PATCH", f"{BASE}/{other}/read", status=404)
    await _send(native_api, "PATCH", f"/v2/subscribers/nobody/notifications/{target.id}/read", status=404)


async def test_bulk_changes_answer_204_and_touch_only_the_selection(native_api):
    inbox = await seed(native_api)
    await _send(native_api, "POST", f"{BASE}/seen", {"notificationIds": [str(inbox.feed[0].id), "nope",
                                                                          str(inbox.foreign.id)]})  # fmt: skip
    assert await _counts(native_api, {"seen": False}) == [3]
    await _send(native_api, "POST", f"{BASE}/seen", {"tags": ["billing"]})
    assert await _counts(native_api, {"seen": False}) == [_order(inbox).count(2)]  # n=2 is the last unseen one
    await _send(native_api, "POST", f"{BASE}/seen", {"data": '{"n": 2}'})
    assert await _counts(native_api, {"seen": False}, {"read": False}) == [0, 5]
    await _send(native_api, "POST", f"{BASE}/read", {"data": json.dumps({"order": {"kind": "gift"}})})
    assert await _counts(native_api, {"read": False}) == [3]
    await _send(native_api, "POST", f"{BASE}/read-archive")
    assert await _counts(native_api, {"archived": True}, {"archived": False, "read": False}) == [3, 3]
    await _send(native_api, "POST", f"{BASE}/archive", {})
    assert await _counts(native_api, {"archived": True}, {"read": True}) == [6, 6]
    await _send(native_api, "POST", f"{BASE}/delete", {"tags": ["billing"]})
    assert await _counts(native_api, {}) == [3]
    await _send(native_api, "POST", f"{BASE}/delete")
    assert await _counts(native_api, {}) == [0]
    for other in (inbox.bobs, inbox.foreign, inbox.email):
        row = await stored(native_api, other.id)
        assert (row.seen, row.read, row.archived, row.deleted) == (False, False, False, False)
    for route in ("seen", "read", "archive", "read-archive", "delete"):
        await _send(native_api, "POST", f"/v2/subscribers/nobody/notifications/{route}", {}, status=404)
        for bad in ({"data": "[1]"}, {"data": '{"a":' * 3000 + "1" + "}" * 3000}, {"tags": {"and": [5]}}):
            await _send(native_api, "POST", f"{BASE}/{route}", bad, status=422)


async def test_delete_one_and_answer_actions(native_api):
    inbox = await seed(native_api)
    path = f"{BASE}/{inbox.feed[0].id}"
    item = (await _send(native_api, "PATCH", f"{path}/actions/primary/complete", status=200))["data"]
    assert (item["primaryAction"]["isCompleted"], item["secondaryAction"]["isCompleted"]) == (True, False)
    assert (item["isRead"], item["isSeen"]) == (True, True)
    item = (await _send(native_api, "PATCH", f"{path}/actions/secondary/complete", status=200))["data"]
    assert (item["primaryAction"]["isCompleted"], item["secondaryAction"]["isCompleted"]) == (False, True)
    item = (await _send(native_api, "PATCH", f"{path}/actions/secondary/revert", status=200))["data"]
    assert item["secondaryAction"]["isCompleted"] is False
    await _send(native_api, "PATCH", f"{path}/actions/tertiary/complete", status=422)
    await _send(native_api, "PATCH", f"{path}/actions/primary/finish", status=422)
    await _send(native_api, "DELETE", path)
    await _send(native_api, "DELETE", path, status=404)
    await _send(native_api, "PATCH", f"{path}/read", status=404)
    assert str(inbox.feed[0].id) not in json.dumps(await _get(native_api, BASE))
    assert (await stored(native_api, inbox.feed[0].id)).deleted
    for other in ("nope", uuid.uuid4(), inbox.foreign.id, inbox.bobs.id):
        await _send(native_api, "DELETE", f"{BASE}/{other}", status=404)


async def test_environment_b_never_sees_or_changes_a(native_api):
    inbox = await seed(native_api)
    b = native_api.headers_b
    assert [i["id"] for i in (await _get(native_api, BASE, headers=b))["data"]] == [str(inbox.foreign.id)]
    assert await _counts(native_api, {}, headers=b) == [1]
    for route in ("seen", "read", "archive", "delete"):
        await _send(native_api, "POST", f"{BASE}/{route}", {"notificationIds": [str(inbox.feed[0].id)]}, headers=b)
    for route in ("read", "archive", "actions/primary/complete"):
        await _send(native_api, "PATCH", f"{BASE}/{inbox.feed[0].id}/{route}", headers=b, status=404)
    await _send(native_api, "DELETE", f"{BASE}/{inbox.feed[0].id}", headers=b, status=404)
    assert await _counts(native_api, {}, {"seen": False}, {"archived": True}) == [6, 4, 0]
