"""Novu's /v1/messages: the environment's messages on every channel, deleted one by one or by transaction."""

from __future__ import annotations

import uuid

from tests.api.inbox_data import seed, stored


async def _list(api, params=None, headers=None):
    response = await api.client.get("/v1/messages", params=params, headers=headers or api.headers_a)
    assert response.status_code == 200, response.text
    return response.json()


def _ids(body) -> list[str]:
    return [m["_id"] for m in body["data"]]


async def test_lists_every_channel_newest_first_without_deleted_ones(native_api):
    inbox = await seed(native_api)
    everything = sorted([*inbox.feed, inbox.email, inbox.webhook, inbox.bobs], key=lambda m: (m.created_at, m.id),
                        reverse=True)  # fmt: skip
    body = await _list(native_api, {"limit": 100})
    assert (_ids(body), body["totalCount"], body["hasMore"]) == ([str(m.id) for m in everything], 9, False)
    page = await _list(native_api, {"page": 1.0, "limit": 4.0})
    assert (_ids(page), page["page"], page["pageSize"], page["hasMore"]) == (_ids(body)[4:8], 1, 4, True)
    webhook = next(m for m in body["data"] if m["_id"] == str(inbox.webhook.id))
    # Novu has no webhook channel or in-flight status; the Clarion values stay readable next to them.
    assert (webhook["channel"], webhook["clarionChannel"], webhook["status"]) == ("chat", "webhook", "warning")
    email = next(m for m in body["data"] if m["_id"] == str(inbox.email.id))
    assert (email["channel"], email["providerId"], "subscriber" in email) == ("email", "nodemailer", False)


async def test_filters(native_api):
    inbox = await seed(native_api)
    feed_ids = {str(m.id) for m in inbox.feed}
    assert set(_ids(await _list(native_api, {"channel": "in_app", "subscriberId": "ada"}))) == feed_ids
    assert _ids(await _list(native_api, {"channel": "email"})) == [str(inbox.email.id)]
    assert _ids(await _list(native_api, {"channel": "chat"})) == [str(inbox.webhook.id)]
    assert _ids(await _list(native_api, {"subscriberId": "bob"})) == [str(inbox.bobs.id)]
    assert _ids(await _list(native_api, {"subscriberId": "nobody"})) == []
    tx = inbox.feed[0].transaction_id
    assert set(_ids(await _list(native_api, {"transactionId": tx}))) == {str(inbox.feed[0].id), str(inbox.email.id)}
    both = await _list(native_api, [("transactionId", tx), ("transactionId", inbox.feed[1].transaction_id)])
    assert len(both["data"]) == 3
    assert len((await _list(native_api, {"transactionId": f"{tx},{inbox.feed[1].transaction_id}"}))["data"]) == 3
    for params in ({"limit": 0}, {"limit": 1001}, {"page": -1}, {"limit": 2.5}, {"page": 10**19}):
        response = await native_api.client.get("/v1/messages", params=params, headers=native_api.headers_a)
        assert response.status_code == 422, params


async def test_delete_one_message(native_api):
    inbox = await seed(native_api)
    target = inbox.feed[0]
    response = await native_api.client.delete(f"/v1/messages/{target.id}", headers=native_api.headers_a)
    assert (response.status_code, response.json()) == (200, {"data": {"acknowledged": True, "status": "deleted"}})
    assert (await stored(native_api, target.id)).deleted
    assert str(target.id) not in _ids(await _list(native_api, {"limit": 100}))
    unseen = await native_api.client.get("/v1/subscribers/ada/notifications/unseen", headers=native_api.headers_a)
    assert unseen.json()["data"]["count"] == 3
    for key in (target.id, "nope", "123", uuid.uuid4(), inbox.foreign.id, inbox.deleted.id):
        response = await native_api.client.delete(f"/v1/messages/{key}", headers=native_api.headers_a)
        assert (response.status_code, response.json()["message"]) == (404, "Message not found"), key


async def test_delete_by_transaction(native_api):
    inbox = await seed(native_api)
    tx = inbox.feed[0].transaction_id
    path = f"/v1/messages/transaction/{tx}"
    response = await native_api.client.delete(f"{path}?channel=email", headers=native_api.headers_a)
    assert (response.status_code, response.content) == (204, b"")
    assert (await stored(native_api, inbox.email.id)).deleted
    assert not (await stored(native_api, inbox.feed[0].id)).deleted
    response = await native_api.client.delete(f"{path}?channel=email", headers=native_api.headers_a)
    assert response.status_code == 404
    assert (await native_api.client.delete(path, headers=native_api.headers_a)).status_code == 204
    assert (await stored(native_api, inbox.feed[0].id)).deleted
    for other in ("unknown", inbox.foreign.transaction_id):
        response = await native_api.client.delete(f"/v1/messages/transaction/{other}", headers=native_api.headers_a)
        assert response.status_code == 404, other


async def test_environment_b_never_sees_or_deletes_a(native_api):
    inbox = await seed(native_api)
    b = native_api.headers_b
    body = await _list(native_api, {"limit": 1000}, headers=b)
    assert (_ids(body), body["totalCount"]) == ([str(inbox.foreign.id)], 1)
    assert _ids(await _list(native_api, {"subscriberId": "ada", "channel": "email"}, headers=b)) == []
    assert (await native_api.client.delete(f"/v1/messages/{inbox.feed[0].id}", headers=b)).status_code == 404
    tx = inbox.feed[0].transaction_id
    assert (await native_api.client.delete(f"/v1/messages/transaction/{tx}", headers=b)).status_code == 404
    assert not (await stored(native_api, inbox.feed[0].id)).deleted
    assert not (await stored(native_api, inbox.email.id)).deleted
