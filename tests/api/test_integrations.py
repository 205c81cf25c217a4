"""Novu's /v1/integrations: CRUD, one primary per channel, isolation, and credentials never in clear."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from tests.conftest import NativeApi
from tests.sdk import run_sdk, serve

HOOK = "https://hooks.slack.test/services/T000/B000/XXXXsecretXXXX"
SMTP_PASSWORD = "s3cr3t-smtp-password-9876"


def smtp(identifier: str, **extra: Any) -> dict[str, Any]:
    return {
        "providerId": "smtp", "channel": "email", "identifier": identifier, "name": identifier,
        "credentials": {"host": "127.0.0.1", "port": "2525", "security": "none", "from": "a@example.test",
                        "user": "mailer", "password": SMTP_PASSWORD, **extra},
    }


async def create(api: NativeApi, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.client.post("/v1/integrations", json=body, headers=api.headers_a)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_crud_and_one_primary_per_channel(native_api: NativeApi) -> None:
    api = native_api
    first = await create(api, smtp("mail-1"))
    second = await create(api, smtp("mail-2"))
    assert (first["primary"], second["primary"]) == (True, False)  # the first active one of a channel
    assert (first["channel"], first["providerId"], first["clarionProviderId"]) == ("email", "nodemailer", "smtp")
    assert first["credentials"]["host"] == "127.0.0.1" and first["credentials"]["port"] == "2525"
    assert first["credentials"]["from"] == "a@example.test"
    assert first["credentials"]["password"] == "••••9876"

    promoted = await api.client.post(f"/v1/integrations/{second['_id']}/set-primary", headers=api.headers_a)
    assert promoted.status_code == 200 and promoted.json()["data"]["primary"] is True
    listed = (await api.client.get("/v1/integrations", headers=api.headers_a)).json()["data"]
    assert [(i["identifier"], i["primary"]) for i in listed] == [("mail-2", True), ("mail-1", False)]

    # PUT with the masked password sent back keeps the stored one; a change of host is validated.
    update = {"name": "Renamed", "active": False, "credentials": {**second["credentials"], "host": "10.0.0.1"}}
    updated = await api.client.put(f"/v1/integrations/{second['_id']}", json=update, headers=api.headers_a)
    assert updated.status_code == 200, updated.text
    body = updated.json()["data"]
    assert (body["name"], body["active"], body["primary"]) == ("Renamed", False, False)
    active = (await api.client.get("/v1/integrations/active", headers=api.headers_a)).json()["data"]
    assert [(i["identifier"], i["primary"]) for i in active] == [("mail-1", True)]  # primary moved back

    deleted = await api.client.delete(f"/v1/integrations/{first['_id']}", headers=api.headers_a)
    assert deleted.status_code == 200
    assert [i["identifier"] for i in deleted.json()["data"]] == ["mail-2"]


async def test_bad_credentials_are_a_400_naming_the_field(native_api: NativeApi) -> None:
    body = {"providerId": "smtp", "credentials": {"host": "h", "port": "not-a-port", "from": "a@example.test"}}
    response = await native_api.client.post("/v1/integrations", json=body, headers=native_api.headers_a)
    assert response.status_code == 400
    assert "credentials.port" in {e["field"] for e in response.json()["errors"]}
    unknown = await native_api.client.post(
        "/v1/integrations", json={"providerId": "pigeon"}, headers=native_api.headers_a
    )
    assert unknown.status_code == 400
    message = unknown.json()["message"]
    assert "'pigeon'" in message and "nodemailer" in message and "smtp" in message and "twilio" in message
    wrong_channel = {**smtp("x"), "channel": "sms"}
    response = await native_api.client.post("/v1/integrations", json=wrong_channel, headers=native_api.headers_a)
    assert response.status_code == 400


async def test_another_environment_sees_nothing(native_api: NativeApi) -> None:
    mine = await create(native_api, smtp("mail-a"))
    api, other = native_api.client, native_api.headers_b
    assert (await api.get("/v1/integrations", headers=other)).json()["data"] == []
    assert (await api.put(f"/v1/integrations/{mine['_id']}", json={"name": "x"}, headers=other)).status_code == 404
    assert (await api.delete(f"/v1/integrations/{mine['_id']}", headers=other)).status_code == 404
    assert (await api.post(f"/v1/integrations/{mine['_id']}/set-primary", headers=other)).status_code == 404


async def test_credentials_are_not_readable_in_the_database_or_any_response(native_api: NativeApi) -> None:
    api = native_api
    slack = {"providerId": "slack_webhook", "identifier": "slack", "credentials": {"webhookUrl": HOOK}}
    seen = [json.dumps(await create(api, smtp("mail"))), json.dumps(await create(api, slack))]
    for path in ("/v1/integrations", "/v1/integrations/active", "/v1/integrations/providers"):
        seen.append((await api.client.get(path, headers=api.headers_a)).text)
    seen.append((await api.client.post("/v1/integrations/slack/set-primary", headers=api.headers_a)).text)
    seen.append((await api.client.put("/v1/integrations/mail", json={"name": "n"}, headers=api.headers_a)).text)
    seen.append((await api.client.delete("/v1/integrations/slack", headers=api.headers_a)).text)
    for body in seen:
        assert SMTP_PASSWORD not in body and "XXXXsecretXXXX" not in body
    async with api.sessions() as session:
        stored = [row[0] for row in await session.execute(text("SELECT credentials FROM integrations"))]
    assert stored and all(SMTP_PASSWORD not in c and "mailer" not in c and c.startswith("gAAAA") for c in stored)


async def test_provider_list_serves_config_schemas(native_api: NativeApi) -> None:
    response = await native_api.client.get("/v1/integrations/providers", headers=native_api.headers_a)
    providers = {p["id"]: p for p in response.json()["data"]}
    assert {"smtp", "slack_webhook", "webhook", "http_sms", "expo_push", "in_app"} <= set(providers)
    assert providers["smtp"]["channel"] == "email"
    assert "host" in providers["smtp"]["configSchema"]["properties"]
    assert providers["smtp"]["secretFields"] == ["password"]
    assert providers["slack_webhook"]["secretFields"] == ["webhook_url"]


SDK_SCRIPT = """
import json, sys
from novu_py import Novu
from novu_py.utils import BackoffStrategy, RetryConfig
url, key, hook = sys.argv[1:]
no_retry = RetryConfig("none", BackoffStrategy(1, 1, 1, 1), False)
with Novu(server_url=url, secret_key=key, retry_config=no_retry) as novu:
    one = novu.integrations.create(create_integration_request_dto={
        "provider_id": "slack_webhook", "channel": "chat", "identifier": "slack-1", "name": "Slack",
        "credentials": {"webhook_url": hook}}).result
    two = novu.integrations.create(create_integration_request_dto={
        "provider_id": "discord_webhook", "channel": "chat", "identifier": "discord-1",
        "credentials": {"webhook_url": hook}}).result
    primary = novu.integrations.set_as_primary(integration_id=two.id).result
    updated = novu.integrations.update(integration_id=one.id, update_integration_request_dto={"name": "Slack 2"}).result
    listed = novu.integrations.list().result
    active = novu.integrations.list_active().result
    left = novu.integrations.delete(integration_id=one.id).result
print(json.dumps({
    "created": [one.identifier, one.primary, one.channel.value, one.credentials.webhook_url],
    "primary": [primary.identifier, primary.primary], "updated": updated.name,
    "listed": [(i.identifier, i.primary) for i in listed], "active": len(active),
    "left": [i.identifier for i in left],
}))
"""


async def test_novu_py_sdk_manages_integrations(native_api: NativeApi) -> None:
    async with serve(native_api.app) as url:
        out = await run_sdk("novu-py", SDK_SCRIPT, url, native_api.tenancy.key_a, HOOK)
    assert out == {
        "created": ["slack-1", True, "chat", "••••ecretXXXX"[:4] + HOOK[-4:]],
        "primary": ["discord-1", True], "updated": "Slack 2",
        "listed": [["discord-1", True], ["slack-1", False]], "active": 2, "left": ["discord-1"],
    }  # fmt: skip


async def test_novu_provider_ids_and_credential_names(native_api: NativeApi) -> None:
    api = native_api
    bodies = [
        {"providerId": "nodemailer", "identifier": "mail", "credentials": {
            "host": "smtp.example.test", "port": "465", "secure": True, "user": "u", "password": "p" * 16,
            "from": "noreply@example.test", "senderName": "Acme"}},
        {"providerId": "expo", "identifier": "expo", "credentials": {"apiKey": "expo-secret-token-1234"}},
        {"providerId": "twilio", "identifier": "sms", "credentials": {
            "accountSid": "AC1", "token": "twilio-secret-token", "from": "+15550001"}},
        {"providerId": "slack", "identifier": "slack", "credentials": {}},
    ]
    shown = []
    for body in bodies:
        response = await api.client.post("/v1/integrations", json=body, headers=api.headers_a)
        assert response.status_code == 201, response.text
        shown.append(response.json()["data"])
    assert [(d["providerId"], d["clarionProviderId"], d["channel"]) for d in shown] == [
        ("nodemailer", "smtp", "email"), ("expo", "expo_push", "push"), ("twilio", "twilio_sms", "sms"),
        ("slack", "slack_webhook", "chat"),
    ]
    mail = shown[0]["credentials"]
    # Shown under Novu's credential names, secrets masked.
    assert (mail["security"], mail["user"], mail["from"], mail["senderName"], mail["port"]) == (
        "tls", "u", "noreply@example.test", "Acme", "465")
    assert shown[1]["credentials"]["apiKey"].startswith("••••")
    assert set(shown[2]["credentials"]) == {"accountSid", "token", "from"}
    listed = (await api.client.get("/v1/integrations", headers=api.headers_a)).json()["data"]
    assert sorted(i["providerId"] for i in listed) == ["expo", "nodemailer", "slack", "twilio"]
    providers = (await api.client.get("/v1/integrations/providers", headers=api.headers_a)).json()["data"]
    novu = {p["id"]: p["novuIds"] for p in providers}
    assert novu["smtp"] == ["nodemailer", "emailjs", "outlook365"] and novu["expo_push"] == ["expo"]
