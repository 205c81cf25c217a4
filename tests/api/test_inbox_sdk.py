"""Novu's real SDKs (novu-py 3.19 and novu 1.14) drive the feed, the v2 inbox and /v1/messages end to end.

Every SDK call parses Clarion's answer with the SDK's own models, so a missing field, a wrong status
code or a missing envelope fails here as it would for a user.
"""

from __future__ import annotations

from tests.api.inbox_data import seed
from tests.sdk import run_sdk, serve

NOVU_PY = """
import base64, json, sys
from novu_py import Novu
from novu_py.utils import BackoffStrategy, RetryConfig
url, key, *ids = sys.argv[1:]
tx = json.loads(ids.pop())
out = {}
no_retry = RetryConfig("none", BackoffStrategy(1, 1, 1, 1), False)
with Novu(server_url=url, secret_key=key, retry_config=no_retry) as novu:
    n, m = novu.subscribers.notifications, novu.subscribers.messages
    unseen = lambda: n.unseen_count(subscriber_id="ada", seen=False, limit=100).result.count
    count = lambda *f: [c.count for c in n.count(subscriber_id="ada", filters=json.dumps(f)).result]
    feed = n.feed(request={"subscriber_id": "ada", "limit": 2}).result
    out["feed"] = [[i.id for i in feed.data], feed.has_more, feed.page_size, feed.data[0].subscriber.subscriber_id]
    gift = base64.b64encode(json.dumps({"order": {"kind": "gift"}}).encode()).decode()
    out["gift"] = [i.payload["n"] for i in n.feed(request={"subscriber_id": "ada", "payload": gift}).result.data]
    out["unseen"] = [unseen()]
    seen = m.mark_all_as(subscriber_id="ada", message_mark_as_request_dto={"message_id": ids[0], "mark_as": "seen"})
    out["marked"] = [[x.id, x.seen, x.read] for x in seen.result]
    out["unseen"].append(unseen())
    read = m.mark_all_as(subscriber_id="ada", message_mark_as_request_dto={"message_id": ids[1:3], "mark_as": "read"})
    out["read"] = sorted([x.id, x.read, x.seen] for x in read.result)
    out["unseen"].append(unseen())
    out["mark_all"] = m.mark_all(subscriber_id="ada", mark_all_message_as_request_dto={"mark_as": "read"}).result
    out["unseen"].append(unseen())
    action = m.update_as_seen(request={"message_id": ids[0], "type": "primary", "subscriber_id": "ada",
                                       "mark_message_action_as_seen_dto": {"status": "done"}}).result
    out["action"] = [action.cta.action.status.value, action.cta.action.result.type.value]
    # The v2 inbox.
    page = n.list(request={"subscriber_id": "ada", "limit": 2}).result
    rest = n.list(request={"subscriber_id": "ada", "limit": 10, "after": page.data[-1].id}).result
    out["v2"] = [[i.id for i in page.data + rest.data], page.has_more, rest.has_more]
    out["counts"] = [count({"read": False}, {"archived": False})]
    out["unread"] = n.mark_as_unread(subscriber_id="ada", notification_id=ids[1]).result.is_read
    out["counts"].append(count({"read": False}))
    archived = n.archive(subscriber_id="ada", notification_id=ids[1]).result
    back = n.unarchive(subscriber_id="ada", notification_id=ids[1]).result
    again = n.mark_as_read(subscriber_id="ada", notification_id=ids[1]).result
    out["archive"] = [archived.is_archived, archived.is_read, back.is_archived, again.is_read]
    out["mark_unseen"] = m.mark_all(subscriber_id="ada", mark_all_message_as_request_dto={"mark_as": "unseen"}).result
    n.mark_as_seen(subscriber_id="ada", mark_subscriber_notifications_as_seen_dto={"notification_ids": [ids[2]]})
    out["unseen"].append(unseen())
    done = n.complete_action(request={"subscriber_id": "ada", "notification_id": ids[0], "action_type": "primary"})
    undone = n.revert_action(request={"subscriber_id": "ada", "notification_id": ids[0], "action_type": "primary"})
    out["actions"] = [done.result.primary_action.is_completed, undone.result.primary_action.is_completed]
    n.mark_all_as_read(subscriber_id="ada", update_all_subscriber_notifications_dto={})
    n.archive_all_read(subscriber_id="ada", update_all_subscriber_notifications_dto={})
    n.archive_all(subscriber_id="ada", update_all_subscriber_notifications_dto={"data": '{"n": 1}'})
    out["counts"].append(count({"archived": True}, {"read": False}))
    n.delete(subscriber_id="ada", notification_id=ids[5])
    # /v1/messages
    listed = novu.messages.retrieve(request={"subscriber_id": "ada", "channel": "in_app", "limit": 10}).result
    out["messages"] = [len(listed.data), listed.total_count, listed.data[0].channel.value]
    deleted = novu.messages.delete(message_id=ids[4]).result
    out["deleted"] = [deleted.acknowledged, deleted.status.value]
    novu.messages.delete_by_transaction_id(transaction_id=tx)
    out["by_tx"] = novu.messages.retrieve(request={"transaction_id": [tx]}).result.total_count
    n.delete_all(subscriber_id="ada", update_all_subscriber_notifications_dto={})
    out["left"] = [n.list(request={"subscriber_id": "ada"}).result.data, unseen()]
print(json.dumps(out))
"""


async def test_novu_py_drives_feed_inbox_and_messages(native_api):
    inbox = await seed(native_api)
    ids = [str(m.id) for m in inbox.feed]
    async with serve(native_api.app) as url:
        out = await run_sdk(
            "novu-py", NOVU_PY, url, native_api.tenancy.key_a, *ids, f'"{inbox.feed[0].transaction_id}"'
        )
    # Unread at first: n 0-4 (n 5 is read); unseen: n 0-3.
    assert out["feed"] == [ids[:2], True, 2, "ada"]
    assert out["gift"] == [0, 1]
    assert out["marked"] == [[ids[0], True, False]]
    assert out["read"] == sorted([i, True, True] for i in ids[1:3])
    assert out["unseen"] == [4, 3, 1, 0, 5]
    assert out["mark_all"] == 3  # ids 0, 3 and 4 were unread
    assert out["action"] == ["done", "primary"]
    assert out["v2"] == [ids, True, False]
    assert out["counts"] == [[0, 6], [1], [6, 0]]
    assert out["unread"] is False
    assert out["archive"] == [True, True, False, True]
    assert out["mark_unseen"] == 6
    assert out["actions"] == [True, False]
    assert out["messages"] == [5, 5, "in_app"]
    assert out["deleted"] == [True, "deleted"]
    assert out["by_tx"] == 0
    assert out["left"] == [[], 0]


NOVU_114 = """
import json, sys
from novu.api import MessageApi, SubscriberApi
url, key, first, second = sys.argv[1:]
subscribers, messages = SubscriberApi(url=url, api_key=key), MessageApi(url=url, api_key=key)
out = {"unseen": [subscribers.unseen_notifications("ada")]}
seen = subscribers.mark_as("ada", first, seen=True)
out["seen"] = [seen._id, seen.seen, seen.read, seen.channel]
out["unseen"].append(subscribers.unseen_notifications("ada"))
read = subscribers.mark_as("ada", second, read=True)
out["read"] = [read._id, read.seen, read.read]
out["mark_all"] = [subscribers.mark_all_as("ada", "read"), subscribers.mark_all_as("ada", "read")]
out["unseen"].append(subscribers.unseen_notifications("ada"))
out["mark_unseen"] = subscribers.mark_all_as("ada", "unseen")
out["unseen"].append(subscribers.unseen_notifications("ada"))
action = subscribers.mark_message_action("ada", first, "primary", "done", {"why": "ok"})
out["action"] = action.cta["action"]["result"]
page = messages.list(limit=4, subscriber_id="ada", channel="in_app")
out["page"] = [page.total_count, page.page_size, [m._id for m in page.data]]
out["deleted"] = messages.delete(first)
out["after"] = messages.list(subscriber_id="ada", channel="in_app").total_count
print(json.dumps(out))
"""


async def test_novu_114_drives_unseen_mark_as_mark_all_and_messages(native_api):
    inbox = await seed(native_api)
    ids = [str(m.id) for m in inbox.feed]
    async with serve(native_api.app) as url:
        out = await run_sdk("novu", NOVU_114, url, native_api.tenancy.key_a, ids[0], ids[1])
    # The legacy mark sets only the flags given: reading id 1 leaves it unseen.
    assert out["unseen"] == [4, 3, 1, 6]
    assert out["seen"] == [ids[0], True, False, "in_app"]
    assert out["read"] == [ids[1], False, True]
    assert out["mark_all"] == [4, 0]  # ids 0, 2, 3, 4 were unread; then none is
    assert out["mark_unseen"] == 5  # all but id 1, which was still unseen
    assert out["action"] == {"type": "primary", "payload": {"why": "ok"}}
    assert out["page"] == [6, 4, ids[:4]]
    assert out["deleted"] is True
    assert out["after"] == 5
