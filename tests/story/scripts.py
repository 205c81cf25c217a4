"""The story, as a user would write it with each SDK: only the SDK, the base URL and the key.

``wait(*transaction_ids)`` asks the test to wait for those triggers to finish (see conftest).
"""

PRELUDE = r"""
import json, sys
url, key = sys.argv[1:3]
out = {}


def wait(*txs):
    print(json.dumps({"wait": list(txs)}), flush=True)
    return json.loads(sys.stdin.readline())


def status_of(call):
    try:
        call()
    except Exception as exc:
        response = getattr(exc, "response", None)
        return [type(exc).__name__, getattr(exc, "status_code", None) or getattr(response, "status_code", None)]
    return "no error"
"""

NOVU_PY = PRELUDE + r"""
from novu_py import Novu
from novu_py.utils import BackoffStrategy, RetryConfig

no_retry = RetryConfig("none", BackoffStrategy(1, 1, 1, 1), False)
with Novu(server_url=url, secret_key=key, retry_config=no_retry) as novu:
    subs, prefs = novu.subscribers, novu.subscribers.preferences
    n, m = novu.subscribers.notifications, novu.subscribers.messages
    ada = subs.create(create_subscriber_request_dto={
        "subscriber_id": "ada", "first_name": "Ada", "email": "ada@x.test", "data": {"plan": "pro"}}).result
    out["created"] = [ada.subscriber_id, ada.first_name, ada.email, ada.data]
    bulk = subs.create_bulk(bulk_subscriber_create_dto={"subscribers": [
        {"subscriber_id": "bo", "first_name": "Bo"}, {"subscriber_id": "cy", "first_name": "Cy"}]}).result
    out["bulk"] = [[c.subscriber_id for c in bulk.created], bulk.updated, bulk.failed]
    got = subs.retrieve(subscriber_id="ada").result
    out["got"] = [got.subscriber_id, got.first_name, got.data]
    patched = subs.patch(subscriber_id="ada", patch_subscriber_request_dto={"last_name": "Lovelace"}).result
    out["patched"] = [patched.first_name, patched.last_name]
    first = subs.search(request={"limit": 2, "order_direction": "ASC"}).result
    second = subs.search(request={"limit": 2, "order_direction": "ASC", "after": first.next}).result
    out["pages"] = [[s.subscriber_id for s in first.data], [s.subscriber_id for s in second.data],
                    first.total_count, second.next]

    def in_app_switches(sid):
        listed = prefs.list(subscriber_id=sid).result
        story = next(w for w in listed.workflows if w.workflow.identifier == "story")
        return [listed.global_.channels.in_app, story.channels.in_app]

    out["prefs"] = [in_app_switches("ada")]
    order = iter(range(1, 100))

    def trigger(workflow, to, tx, **payload):
        payload = {"orderId": f"A{next(order)}", **payload}
        body = {"workflow_id": workflow, "to": to, "transaction_id": tx, "payload": payload}
        return novu.trigger(trigger_event_request_dto=body).result

    def switch(sid, channels, workflow=None):
        body = {"channels": channels, **({"workflow_id": workflow} if workflow else {})}
        prefs.update(subscriber_id=sid, patch_subscriber_preferences_dto=body)
        out["prefs"].append(in_app_switches(sid))

    # Per workflow for ada; globally for bo (a per-workflow switch, being more specific, would win).
    switch("ada", {"in_app": False}, "story")
    trigger("story", "ada", "off-workflow")
    out["off_workflow"] = wait("off-workflow")["off-workflow"]
    switch("ada", {"in_app": True}, "story")
    trigger("story", "ada", "on-workflow")
    out["on_workflow"] = wait("on-workflow")["on-workflow"]
    switch("bo", {"in_app": False})
    trigger("story", "bo", "off-global")
    out["off_global"] = wait("off-global")["off-global"]
    switch("bo", {"in_app": True})
    trigger("story", "bo", "on-global")
    out["on_global"] = wait("on-global")["on-global"]

    topic = novu.topics.create(create_update_topic_request_dto={"key": "crew", "name": "Crew"}).result
    added = novu.topics.subscriptions.create(topic_key="crew", create_topic_subscriptions_request_dto={
        "subscriber_ids": ["bo", "cy"]}).result
    out["topic"] = [topic.key, sorted(s.subscriber.subscriber_id for s in added.data), added.meta.successful]
    one = trigger("story", "ada", "tx-one", note="hello")
    out["one"] = [one.acknowledged, one.status.value, one.transaction_id]
    events = [{"workflow_id": "story", "to": to, "transaction_id": tx, "payload": {"orderId": tx}}
              for to, tx in (("ada", "bulk-1"), ({"subscriber_id": "bo"}, "bulk-2"), (["cy"], "bulk-3"))]
    out["bulk_trigger"] = [[r.status.value, r.transaction_id] for r in
                           novu.trigger_bulk(bulk_trigger_event_dto={"events": events}).result]
    on_topic = trigger("story", [{"type": "Topic", "topic_key": "crew"}], "tx-topic")
    out["topic_trigger"] = [on_topic.acknowledged, on_topic.transaction_id]
    trigger("story-later", "ada", "tx-later")
    out["cancel"] = [novu.cancel(transaction_id="tx-later").result, novu.cancel(transaction_id="tx-later").result]
    out["outcomes"] = wait("tx-one", "bulk-1", "bulk-2", "bulk-3", "tx-topic", "tx-later")

    feed = n.feed(request={"subscriber_id": "ada", "limit": 10}).result
    out["feed"] = sorted([i.transaction_id, i.content, i.payload.get("orderId"), i.payload.get("note")]
                         for i in feed.data)
    out["feed_bo"] = sorted([i.transaction_id, i.content] for i in n.feed(request={"subscriber_id": "bo"}).result.data)
    unseen = lambda: n.unseen_count(subscriber_id="ada", seen=False, limit=100).result.count
    out["unseen"] = [unseen()]
    marked = m.mark_all_as(subscriber_id="ada", message_mark_as_request_dto={
        "message_id": feed.data[0].id, "mark_as": "seen"}).result
    out["marked"] = [[x.id == feed.data[0].id, x.seen] for x in marked]
    out["unseen"].append(unseen())
    out["mark_all"] = m.mark_all(subscriber_id="ada", mark_all_message_as_request_dto={"mark_as": "read"}).result
    out["deleted"] = subs.delete(subscriber_id="cy").result.acknowledged
    out["after_delete"] = status_of(lambda: subs.retrieve(subscriber_id="cy"))
print(json.dumps({"result": out}), flush=True)
"""

NOVU = PRELUDE + r"""
from novu.api import EventApi, MessageApi, SubscriberApi, TopicApi
from novu.dto.event import InputEventDto
from novu.dto.subscriber import SubscriberDto
from novu.dto.topic import TriggerTopicDto

# The default 5 s timeout is short on a loaded test machine.
events, subs, topics, messages = (cls(url=url, api_key=key, requests_timeout=60)
                                  for cls in (EventApi, SubscriberApi, TopicApi, MessageApi))
ada = subs.create(SubscriberDto(subscriber_id="ada", first_name="Ada", email="ada@x.test", data={"plan": "pro"}))
out["created"] = [ada.subscriber_id, ada.first_name, ada.email, ada.data]
bulk = subs.bulk_create([SubscriberDto(subscriber_id="bo", first_name="Bo"),
                         SubscriberDto(subscriber_id="cy", first_name="Cy")])
out["bulk"] = [[c.subscriber_id for c in bulk.created], list(bulk.updated), list(bulk.failed)]
got = subs.get("ada")
out["got"] = [got.subscriber_id, got.first_name, got.data]
got.last_name = "Lovelace"
put = subs.put(got)
out["patched"] = [put.first_name, put.last_name]
first = subs.list(page=0)
streamed = sorted(s.subscriber_id for s in subs.stream())
out["pages"] = [[s.subscriber_id for s in first.data], first.total_count, streamed]


def in_app_switch(sid):
    story = next(p for p in subs.preferences(sid) if p.template.name == "Story")
    return story.preference.channels.in_app


def global_in_app(sid, enabled):
    body = {"preferences": [{"type": "in_app", "enabled": enabled}]}
    answer = subs.handle_request("PATCH", f"{url}/v1/subscribers/{sid}/preferences", json=body)
    return answer["data"]["preference"]["channels"]["in_app"]


order = iter(range(1, 100))


def trigger(workflow, to, tx, **payload):
    return events.trigger(workflow, to, {"orderId": f"A{next(order)}", **payload}, transaction_id=tx)


out["prefs"] = [in_app_switch("ada")]
subs.change_channel_preference("ada", "story", "in_app", False)
out["prefs"].append(in_app_switch("ada"))
trigger("story", "ada", "off-workflow")
out["off_workflow"] = wait("off-workflow")["off-workflow"]
subs.change_channel_preference("ada", "story", "in_app", True)
out["prefs"].append(in_app_switch("ada"))
trigger("story", "ada", "on-workflow")
out["on_workflow"] = wait("on-workflow")["on-workflow"]
out["prefs"].append(global_in_app("bo", False))
trigger("story", "bo", "off-global")
out["off_global"] = wait("off-global")["off-global"]
out["prefs"].append(global_in_app("bo", True))
trigger("story", "bo", "on-global")
out["on_global"] = wait("on-global")["on-global"]

topic = topics.create("crew", "Crew")
succeeded, failed = topics.subscribe("crew", ["bo", "cy"])
out["topic"] = [topic.key, sorted(succeeded), failed]
one = trigger("story", "ada", "tx-one", note="hello")
out["one"] = [one.acknowledged, one.status, one.transaction_id]
bulk_events = [InputEventDto("story", to, {"orderId": tx}, transaction_id=tx)
               for to, tx in (("ada", "bulk-1"), ({"subscriberId": "bo"}, "bulk-2"), (["cy"], "bulk-3"))]
out["bulk_trigger"] = [[r.status, r.transaction_id] for r in events.trigger_bulk(bulk_events)]
on_topic = events.trigger_topic("story", TriggerTopicDto("crew", "Topic"), {"orderId": "A6"}, transaction_id="tx-topic")
out["topic_trigger"] = [on_topic.acknowledged, on_topic.transaction_id]
trigger("story-later", "ada", "tx-later")
out["cancel"] = [events.delete("tx-later"), "no error"]
out["outcomes"] = wait("tx-one", "bulk-1", "bulk-2", "bulk-3", "tx-topic", "tx-later")

feed = list(messages.list(limit=10, channel="in_app", subscriber_id="ada").data)
out["feed"] = sorted([m.transaction_id, m.content, m.payload.get("orderId"), m.payload.get("note")] for m in feed)
out["feed_bo"] = sorted([m.transaction_id, m.content] for m in messages.list(subscriber_id="bo").data)
out["unseen"] = [subs.unseen_notifications("ada")]
marked = subs.mark_as("ada", feed[0]._id, seen=True)
out["marked"] = [[marked._id == feed[0]._id, marked.seen]]
out["unseen"].append(subs.unseen_notifications("ada"))
out["mark_all"] = subs.mark_all_as("ada", "read")
subs.delete("cy")
out["deleted"] = True
out["after_delete"] = status_of(lambda: subs.get("cy"))
print(json.dumps({"result": out}), flush=True)
"""
