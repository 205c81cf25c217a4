from __future__ import annotations

from typing import Any

import pytest

from channels import ChatMessage, DeliveryError, PermanentDeliveryError, RetryableDeliveryError
from channels.slack_bot import SlackBotConfig, SlackBotProvider


def bot(url: str, **overrides: Any) -> SlackBotProvider:
    return SlackBotProvider(
        SlackBotConfig.model_validate({"bot_token": "xoxb-1", "base_url": url, **overrides})
    )


@pytest.mark.parametrize(
    "error,kind",
    [
        ("ratelimited", RetryableDeliveryError),
        ("internal_error", RetryableDeliveryError),
        ("channel_not_found", PermanentDeliveryError),
        ("invalid_auth", PermanentDeliveryError),
    ],
)
async def test_ok_false_error_decides(error: str, kind: type[DeliveryError], http_server: Any) -> None:
    http_server.reply(json_body={"ok": False, "error": error})
    with pytest.raises(kind) as caught:
        await bot(http_server.url).send(ChatMessage(content="x", channel="C1"), idempotency_key="k")
    assert type(caught.value) is kind and caught.value.provider_code == error


async def test_default_channel_and_missing_channel(http_server: Any) -> None:
    http_server.reply(json_body={"ok": True, "ts": "1.0"})
    await bot(http_server.url, default_channel="C9").send(ChatMessage(content="x"), idempotency_key="k")
    assert http_server.requests[0].json()["channel"] == "C9"
    with pytest.raises(PermanentDeliveryError, match="no channel"):
        await bot(http_server.url).send(ChatMessage(content="x"), idempotency_key="k")


async def test_check_calls_auth_test(http_server: Any) -> None:
    http_server.reply(json_body={"ok": True, "user": "clarion"}, path="/api/auth.test")
    assert (await bot(http_server.url).check()).message == "authenticated as clarion"
    http_server.reply(json_body={"ok": False, "error": "invalid_auth"}, path="/api/auth.test")
    result = await bot(http_server.url).check()
    assert not result.ok and "invalid_auth" in result.message
