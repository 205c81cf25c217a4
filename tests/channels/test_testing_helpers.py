from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import BaseModel

from channels import Channel, ChannelProvider, ChatMessage, SendResult
from channels.slack_bot import SlackBotProvider
from channels.testing import ProviderContract, assert_declares_contract, assert_hides_secrets


class TestSlackBotContract(ProviderContract):
    """What a third-party package would write, run here against a built-in."""

    provider_class = SlackBotProvider
    valid_config: ClassVar = {"bot_token": "xoxb-from-helper"}


class LeakyConfig(BaseModel):
    api_token: str  # should be SecretStr


class Leaky(ChannelProvider[LeakyConfig, ChatMessage]):
    id: ClassVar[str] = "leaky"
    channel: ClassVar[Channel] = Channel.CHAT
    display_name: ClassVar[str] = "Leaky"
    config_model: ClassVar[type[BaseModel]] = LeakyConfig
    message_model: ClassVar[type[BaseModel]] = ChatMessage

    async def send(self, message: ChatMessage, *, idempotency_key: str) -> SendResult:
        return SendResult(provider_id=self.id)


def test_declaration_check_catches_a_plain_str_secret() -> None:
    with pytest.raises(AssertionError, match="api_token looks like a secret"):
        assert_declares_contract(Leaky)


def test_declaration_check_catches_missing_attributes() -> None:
    class Bare(ChannelProvider[LeakyConfig, ChatMessage]):
        async def send(self, message: ChatMessage, *, idempotency_key: str) -> SendResult:
            raise NotImplementedError

    with pytest.raises(AssertionError) as caught:
        assert_declares_contract(Bare)
    for attribute in ("id", "channel", "display_name", "message_model", "config_model"):
        assert f"Bare.{attribute}" in str(caught.value)


def test_secrecy_check_fails_without_a_secret_and_on_a_leak() -> None:
    with pytest.raises(AssertionError, match="sets no SecretStr"):
        assert_hides_secrets(Leaky, {"api_token": "visible"})

    class Repr(SlackBotProvider):
        def __repr__(self) -> str:
            return f"Repr({self.config.bot_token.get_secret_value()})"

    with pytest.raises(AssertionError, match=r"repr\(provider\)"):
        assert_hides_secrets(Repr, {"bot_token": "xoxb-leaked"})
