"""Novu's own Python SDKs (novu-py 3.19 and novu 1.14) driving the subscriber routes over HTTP."""

from __future__ import annotations

from tests.sdk import run_sdk, serve

NOVU_PY_SCRIPT = r"""
import json, sys
from novu_py import Novu
from novu_py.utils import BackoffStrategy, RetryConfig

url, key = sys.argv[1], sys.argv[2]
out = {}


def dump(model):
    return model.model_dump(mode="json", by_alias=True)


with Novu(server_url=url, secret_key=key,
          retry_config=RetryConfig("none", BackoffStrategy(1, 1, 1, 1), False)) as client:
    subs = client.subscribers
    out["created"] = dump(subs.create(create_subscriber_request_dto={
        "subscriber_id": "ada", "first_name": "Ada", "email": "ada@x.test", "data": {"plan": "pro"}}).result)
    try:
        subs.create(create_subscriber_request_dto={"subscriber_id": "ada"}, fail_if_exists=True)
    except Exception as exc:
        out["duplicate"] = [type(exc).__name__, exc.status_code, exc.data.subscriber_id, exc.data.first_name]
    out["retrieved"] = dump(subs.retrieve(subscriber_id="ada").result)
    out["patched"] = dump(subs.patch(subscriber_id="ada", patch_subscriber_request_dto={
        "last_name": "Lovelace", "first_name": None}).result)
    out["bulk"] = dump(subs.create_bulk(bulk_subscriber_create_dto={"subscribers": [
        {"subscriber_id": "bo", "email": "bo@x.test"}, {"subscriber_id": "ada", "phone": "+1"}]}).result)
    first = subs.search(request={"limit": 1, "order_direction": "ASC"}).result
    second = subs.search(request={"limit": 1, "order_direction": "ASC", "after": first.next}).result
    out["pages"] = [dump(first), dump(second)]
    out["by_email"] = dump(subs.search(request={"email": "bo@x.test"}).result)
    subs.credentials.update(subscriber_id="ada", update_subscriber_channel_request_dto={
        "provider_id": "fcm", "credentials": {"device_tokens": ["a"]}})
    out["appended"] = dump(subs.credentials.append(subscriber_id="ada", update_subscriber_channel_request_dto={
        "provider_id": "fcm", "credentials": {"device_tokens": ["b"]}}).result)
    subs.credentials.update(subscriber_id="ada", update_subscriber_channel_request_dto={
        "provider_id": "slack", "credentials": {"webhook_url": "https://hooks.test/1"}})
    subs.credentials.delete(subscriber_id="ada", provider_id="fcm")
    out["offline"] = dump(subs.properties.update_online_flag(
        subscriber_id="ada", update_subscriber_online_flag_request_dto={"is_online": False}).result)
    out["deleted"] = dump(subs.delete(subscriber_id="ada").result)
    try:
        subs.retrieve(subscriber_id="ada")
    except Exception as exc:
        out["after_delete"] = [type(exc).__name__, exc.status_code]
print(json.dumps(out))
"""


async def test_novu_py_sdk_drives_subscribers(native_api):
    async with serve(native_api.app) as url:
        out = await run_sdk("novu-py", NOVU_PY_SCRIPT, url, native_api.tenancy.key_a)
    created = out["created"]
    assert (created["subscriberId"], created["firstName"], created["data"]) == ("ada", "Ada", {"plan": "pro"})
    assert created["_environmentId"] == str(native_api.tenancy.env_a.id) and created["deleted"] is False
    assert out["duplicate"] == ["SubscriberResponseDtoError", 409, "ada", "Ada"]
    assert out["retrieved"]["_id"] == created["_id"] and out["retrieved"]["email"] == "ada@x.test"
    assert (out["patched"].get("firstName"), out["patched"]["lastName"]) == (None, "Lovelace")
    assert out["bulk"] == {"created": [{"subscriberId": "bo"}], "updated": [{"subscriberId": "ada"}], "failed": []}
    first, second = out["pages"]
    assert [s["subscriberId"] for s in first["data"] + second["data"]] == ["ada", "bo"]
    assert first["totalCount"] == 2 and first["previous"] is None and second["next"] is None
    assert second["previous"] and not second["totalCountCapped"]
    assert [s["subscriberId"] for s in out["by_email"]["data"]] == ["bo"]
    (fcm,) = out["appended"]["channels"]
    assert (fcm["providerId"], fcm["credentials"]["deviceTokens"]) == ("fcm", ["a", "b"])
    offline = out["offline"]
    assert offline["isOnline"] is False and offline["lastOnlineAt"] and offline["phone"] == "+1"
    assert [(c["providerId"], c["credentials"]["webhookUrl"]) for c in offline["channels"]] == [
        ("slack", "https://hooks.test/1")
    ]
    assert out["deleted"] == {"acknowledged": True, "status": "deleted"}
    assert out["after_delete"] == ["ErrorDto", 404]


NOVU_SCRIPT = r"""
import json, sys
import requests
from novu.api import SubscriberApi
from novu.dto.subscriber import SubscriberDto

url, key = sys.argv[1], sys.argv[2]
api = SubscriberApi(url=url + "/", api_key=key)
out = {}


def view(s):
    return {"id": s._id, "subscriberId": s.subscriber_id, "email": s.email, "firstName": s.first_name,
            "lastName": s.last_name, "phone": s.phone, "data": s.data, "isOnline": s.is_online,
            "channels": [[c.provider_id, c._integration_id, c.credentials.webhook_url, c.credentials.device_tokens]
                         for c in s.channels or []]}


out["created"] = view(api.create(SubscriberDto(subscriber_id="ada", email="ada@x.test", first_name="Ada",
                                               data={"plan": "pro"})))
out["credentials"] = view(api.credentials("ada", "slack", webhook_url="https://hooks.test/1"))
got = api.get("ada")
got.last_name = "Lovelace"
out["put"] = view(api.put(got))
bulk = api.bulk_create([SubscriberDto(subscriber_id="bo"), SubscriberDto(subscriber_id="ada", phone="+1")])
out["bulk"] = {k: [s.subscriber_id for s in getattr(bulk, k)] for k in ("created", "updated", "failed")}
for n in range(11):
    api.create(SubscriberDto(subscriber_id=f"s{n:02}"))
page = api.list()
out["list"] = [page.page, page.page_size, page.total_count, len(list(page.data))]
out["stream"] = sorted(s.subscriber_id for s in api.stream())
out["online"] = view(api.online_status("ada", True))
api.delete_credentials("ada", "slack")
out["after_credentials_delete"] = view(api.get("ada"))
api.delete("bo")
try:
    api.get("bo")
except requests.HTTPError as exc:
    out["after_delete"] = exc.response.status_code
print(json.dumps(out))
"""


async def test_novu_1_14_sdk_drives_subscribers(native_api):
    async with serve(native_api.app) as url:
        out = await run_sdk("novu", NOVU_SCRIPT, url, native_api.tenancy.key_a)
    created = out["created"]
    assert (created["subscriberId"], created["email"], created["data"]) == ("ada", "ada@x.test", {"plan": "pro"})
    assert created["channels"] == [] and created["id"]
    assert out["credentials"]["channels"] == [["slack", "", "https://hooks.test/1", None]]
    put = out["put"]
    assert (put["firstName"], put["lastName"], put["email"]) == ("Ada", "Lovelace", "ada@x.test")
    assert put["channels"] == out["credentials"]["channels"]
    assert out["bulk"] == {"created": ["bo"], "updated": ["ada"], "failed": []}
    assert out["list"] == [0, 10, 13, 10]
    assert out["stream"] == sorted(["ada", "bo", *(f"s{n:02}" for n in range(11))])
    assert out["online"]["isOnline"] is True and out["online"]["phone"] == "+1"
    assert out["after_credentials_delete"]["channels"] == []
    assert out["after_delete"] == 404
