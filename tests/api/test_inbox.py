"""Novu's v1 in-app feed: feed paging and filters, unseen count, mark-as (both forms), mark-all and actions."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from tests.api.inbox_data import seed, stored

FEED = "/v1/subscribers/ada/notifications/feed"
UNSEEN = "/v1/subscribers/ada/notifications/unseen"
MARK_AS = "/v1/subscribers/ada/messages/mark-as"
LEGACY = "/v1/subscribers/ada/messages/markAs"
MARK_ALL = "/v1/subscribers/ada/messages/mark-all"


def _ns(body) -> list[int]:
    return [item["payload"]["n"] for item in body["data"]]


def _b64(obj) -> str:
    return base64.b64encode(json.dumps(obj).encode()).decode()


async def _get(api, path, params=None, headers=None, status=200):
    response = await api.client.get(path, params=params, headers=headers or api.headers_a)
    assert response.status_code == status, response.text
    return response.json()


async def _post(api, path, body, headers=None, status=201):
    response = await api.client.post(path, json=body, headers=headers or api.headers_a)
    assert response.status_code == status, response.text
    return response.json()


async def _unseen(api, query="", headers=None) -> int:
    return (await _get(api, f"{UNSEEN}{query}", headers=headers))["data"]["count"]


async def test_feed_pages_newest_first_and_leaves_out_other_rows(native_api):
    inbox = await seed(native_api)
    order = [m.payload["n"] for m in inbox.feed]
    body = await _get(native_api, FEED)
    assert _ns(body) == order and len(order) == 6  # no email, webhook, deleted, bob's or B's message
    assert (body["page"], body["pageSize"], body["hasMore"], body["totalCount"]) == (0, 10, False, 6)
    first = await _get(native_api, f"{FEED}?page=0.0&limit=4.0")
    assert (_ns(first), first["hasMore"], first["pageSize"], first["totalCount"]) == (order[:4], True, 4, 4)
    second = await _get(native_api, f"{FEED}?page=1&limit=4")
    assert (_ns(second), second["hasMore"], second["page"]) == (order[4:], False, 1)
    assert (await _get(native_api, f"{FEED}?page=7&limit=4"))["data"] == []


async def test_feed_item_has_every_field_novu_py_requires(native_api):
    inbox = await seed(native_api)
    item = (await _get(native_api, f"{FEED}?limit=1"))["data"][0]
    newest, env = inbox.feed[0], native_api.tenancy.env_a
    assert item["_id"] == str(newest.id) and item["_notificationId"] == str(newest.notification_id)
    assert (item["_templateId"], item["templateIdentifier"]) == (str(inbox.workflow.id), "welcome")
    assert (item["_environmentId"], item["_organizationId"]) == (str(env.id), str(env.organization_id))
    assert (item["_subscriberId"], item["_jobId"], item["transactionId"]) == (
        str(inbox.ada.id),
        "",
        newest.transaction_id,
    )
    assert (item["channel"], item["status"], item["content"], item["subject"]) == (
        "in_app",
        "sent",
        "message 6",
        "Your order",
    )
    assert (item["read"], item["seen"], item["archived"]) == (False, False, False)
    assert item["cta"]["data"] == {"url": "https://app.example/orders/1"}
    assert item["subscriber"] == {"_id": str(inbox.ada.id), "subscriberId": "ada", "firstName": "Ada",
                                  "avatar": "https://a/ada.png"}  # fmt: skip
    assert item["createdAt"].startswith("2026-01-01T12:50:00")


FILTER_CASES = [
    ({"read": "true"}, [5]),
    ({"seen": "false"}, [0, 1, 2, 3]),
    ({"seen": "true", "read": "false"}, [4]),
    ({"payload": _b64({"order": {"kind": "gift"}})}, [0, 1]),
    ({"payload": json.dumps({"order": {"kind": "gift", "id": 8}})}, [1]),
    ({"payload": _b64({"vip": True})}, [0]),  # true is not 1 ...
    ({"payload": _b64({"vip": 1})}, [1]),  # ... and 1 is not true
    ({"payload": _b64({"code": "1"})}, [3]),  # "1" is not 1
    ({"payload": _b64({"code": 1.0, "price": 1.5})}, [4]),
    ({"payload": _b64({"note": None})}, [2]),
    ({"payload": _b64({"list": [1, 2]})}, [0]),
    ({"payload": _b64({"list": [2, 1]})}, []),
    ({"payload": _b64({"order": {"kind": "gift"}}).rstrip("=")}, [0, 1]),  # padding is optional
    ({"payload": _b64({"missing": 1})}, []),
    ({"payload": _b64({}), "read": "false"}, [0, 1, 2, 3, 4]),
]


async def test_feed_filters(native_api):
    inbox = await seed(native_api)
    for params, expected in FILTER_CASES:
        # The feed's own order (3 and 4 share a timestamp, so their order follows their ids).
        wanted = [m.payload["n"] for m in inbox.feed if m.payload["n"] in expected]
        assert _ns(await _get(native_api, FEED, params=params)) == wanted, params


async def test_feed_rejects_bad_payloads_and_paging(native_api):
    await seed(native_api)
    deep, wide = '{"a":' * 3000 + "1" + "}" * 3000, {f"k{i}": i for i in range(51)}
    for payload in ["invalid!", _b64([1, 2]), _b64("text"), "{not json", base64.b64encode(b"\xff").decode(), deep,
                    _b64(deep), json.dumps(wide)]:  # fmt: skip
        body = await _get(native_api, FEED, params={"payload": payload}, status=400)
        assert body["message"] == "Invalid payload, the JSON object should be encoded to base64 string.", payload
    for query in ["?limit=0", "?limit=101", "?page=-1", "?limit=2.5", "?read=maybe", f"?page={10**19}"]:
        await _get(native_api, f"{FEED}{query}", status=422)


async def test_unseen_count_is_in_app_not_deleted_not_seen_and_capped_by_limit(native_api):
    inbox = await seed(native_api)
    assert await _unseen(native_api) == 4
    assert await _unseen(native_api, "?seen=false&limit=100.0") == 4
    assert await _unseen(native_api, "?limit=2") == 2
    assert await _unseen(native_api, "?seen=true") == 2
    await _post(native_api, MARK_AS, {"messageId": inbox.ids(0), "markAs": "seen"})
    assert await _unseen(native_api) == 3
    await _get(native_api, f"{UNSEEN}?limit=0", status=422)


@pytest.mark.parametrize(
    ("mark", "before", "after"),
    [
        # (seen, read) of the message before and after
        ("seen", (False, False), (True, False)),
        ("read", (False, False), (True, True)),
        ("unseen", (True, False), (False, False)),
        ("unread", (True, True), (True, False)),
    ],
)
async def test_mark_as_one_message(native_api, mark, before, after):
    inbox = await seed(native_api)
    target = next(m for m in inbox.feed if (m.seen, m.read) == before)
    [item] = (await _post(native_api, MARK_AS, {"messageId": str(target.id), "markAs": mark}))["data"]
    assert (item["_id"], item["seen"], item["read"]) == (str(target.id), *after)
    row = await stored(native_api, target.id)
    assert (row.seen, row.read) == after
    assert (row.seen_at is not None, row.read_at is not None) == after  # each flag carries its time
    assert row.updated_at > target.updated_at


async def test_mark_as_many_ids_skips_unknown_malformed_and_foreign_ones(native_api):
    inbox = await seed(native_api)
    ids = [*inbox.ids(0, 1, 2), "nope", str(uuid.uuid4()), str(inbox.bobs.id), str(inbox.foreign.id)]
    body = await _post(native_api, MARK_AS, {"messageId": ids, "markAs": "read"})
    assert sorted(m["_id"] for m in body["data"]) == sorted(inbox.ids(0, 1, 2))
    assert all(m["read"] and m["seen"] for m in body["data"])
    assert not (await stored(native_api, inbox.bobs.id)).read
    assert not (await stored(native_api, inbox.foreign.id)).read
    # A comma-separated string names several ids too.
    body = await _post(native_api, MARK_AS, {"messageId": ",".join(inbox.ids(0, 1)), "markAs": "unread"})
    assert sorted(m["_id"] for m in body["data"]) == sorted(inbox.ids(0, 1))
    assert (await _post(native_api, MARK_AS, {"messageId": "nope", "markAs": "seen"}))["data"] == []


async def test_mark_as_rejects_bad_bodies(native_api):
    await seed(native_api)
    for body in ({"messageId": [], "markAs": "seen"}, {"messageId": "", "markAs": "seen"}, {"markAs": "seen"},
                 {"messageId": "x", "markAs": "gone"}, {"messageId": ["x"] * 1001, "markAs": "seen"}):  # fmt: skip
        response = await native_api.client.post(MARK_AS, json=body, headers=native_api.headers_a)
        assert response.status_code in (400, 422), (body, response.text)


async def test_legacy_mark_as_sets_exactly_the_flags_given(native_api):
    inbox = await seed(native_api)
    target = inbox.feed[0]
    [item] = (await _post(native_api, LEGACY, {"messageId": str(target.id), "mark": {"seen": True}}))["data"]
    assert (item["seen"], item["read"]) == (True, False)
    [item] = (await _post(native_api, LEGACY, {"messageId": str(target.id), "mark": {"read": True}}))["data"]
    assert (item["seen"], item["read"]) == (True, True)
    [item] = (await _post(native_api, LEGACY, {"messageId": [str(target.id)], "mark": {"seen": False}}))["data"]
    assert (item["seen"], item["read"]) == (False, True)
    assert (await stored(native_api, target.id)).seen_at is None


@pytest.mark.parametrize(("mark", "changed", "unseen_after"), [("read", 5, 0), ("seen", 4, 0), ("unread", 1, 4),
                                                               ("unseen", 2, 6)])  # fmt: skip
async def test_mark_all_answers_how_many_changed(native_api, mark, changed, unseen_after):
    inbox = await seed(native_api)
    assert (await _post(native_api, MARK_ALL, {"markAs": mark}))["data"] == changed
    assert await _unseen(native_api) == unseen_after
    assert (await _post(native_api, MARK_ALL, {"markAs": mark, "feedIdentifier": "any"}))["data"] == 0  # all done
    for other in (inbox.email, inbox.deleted, inbox.bobs, inbox.foreign):
        row = await stored(native_api, other.id)
        assert (row.seen, row.read) == (other.seen, other.read)


async def test_action_records_the_answer_and_reads_the_message(native_api):
    inbox = await seed(native_api)
    path = f"/v1/subscribers/ada/messages/{inbox.feed[0].id}/actions/primary"
    item = (await _post(native_api, path, {"status": "done", "payload": {"choice": "yes"}}))["data"]
    action = item["cta"]["action"]
    assert (action["status"], action["result"]) == ("done", {"type": "primary", "payload": {"choice": "yes"}})
    assert [b["content"] for b in action["buttons"]] == ["Accept", "Decline"]  # the buttons stay
    assert (item["read"], item["seen"], item["cta"]["data"]["url"]) == (True, True, "https://app.example/orders/1")
    item = (await _post(native_api, path.replace("primary", "secondary"), {"status": "pending"}))["data"]
    assert item["cta"]["action"]["status"] == "pending"
    assert item["cta"]["action"]["result"] == {"type": "secondary", "payload": {"choice": "yes"}}
    await _post(native_api, path.replace("primary", "tertiary"), {"status": "done"}, status=422)
    await _post(native_api, path, {"status": "later"}, status=422)
    for other in ("nope", uuid.uuid4(), inbox.bobs.id, inbox.foreign.id, inbox.deleted.id):
        await _post(native_api, f"/v1/subscribers/ada/messages/{other}/actions/primary", {"status": "done"}, status=404)


async def test_unknown_subscriber_is_400_on_reads_and_404_on_writes_as_in_novu(native_api):
    inbox = await seed(native_api)
    for path in (FEED, UNSEEN):
        body = await _get(native_api, path.replace("/ada/", "/nobody/"), status=400)
        assert "nobody" not in body["message"]
    action = f"/v1/subscribers/ada/messages/{inbox.feed[0].id}/actions/primary"
    writes = [(MARK_AS, {"messageId": inbox.ids(0), "markAs": "seen"}), (MARK_ALL, {"markAs": "read"}),
              (LEGACY, {"messageId": inbox.ids(0), "mark": {"seen": True}}), (action, {"status": "done"})]  # fmt: skip
    for path, body in writes:
        await _post(native_api, path.replace("/ada/", "/nobody/"), body, status=404)
    assert not (await stored(native_api, inbox.feed[0].id)).seen


async def test_environment_b_never_sees_or_changes_a(native_api):
    inbox = await seed(native_api)
    b = native_api.headers_b
    body = await _get(native_api, FEED, headers=b)  # B has its own "ada"
    assert [m["_id"] for m in body["data"]] == [str(inbox.foreign.id)]
    assert await _unseen(native_api, headers=b) == 1
    marked = await _post(native_api, MARK_AS, {"messageId": inbox.ids(0, 1), "markAs": "read"}, headers=b)
    assert marked["data"] == []
    assert (await _post(native_api, MARK_ALL, {"markAs": "read"}, headers=b))["data"] == 1
    await _post(native_api, f"/v1/subscribers/ada/messages/{inbox.feed[0].id}/actions/primary", {"status": "done"},
                headers=b, status=404)  # fmt: skip
    assert await _unseen(native_api) == 4
    assert [m["read"] for m in (await _get(native_api, FEED))["data"]] == [m.read for m in inbox.feed]
    await _get(native_api, FEED.replace("/ada/", "/bob/"), headers=b, status=400)  # A's bob does not exist in B
