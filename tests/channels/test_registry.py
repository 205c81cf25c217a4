from __future__ import annotations

import importlib.metadata
import logging
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from channels import (
    Channel,
    ChannelRegistry,
    InvalidProviderConfig,
    LoadFailure,
    ProviderContext,
    UnknownProviderError,
)
from channels.slack_bot import SlackBotConfig, SlackBotProvider
from channels.smtp import SmtpProvider
from channels.webhook import WebhookProvider

BUILTIN_IDS = {
    "apns",
    "apprise",
    "discord_webhook",
    "expo_push",
    "fcm_push",
    "http_sms",
    "in_app",
    "mattermost_webhook",
    "msteams_webhook",
    "slack_bot",
    "slack_webhook",
    "smtp",
    "twilio_sms",
    "webhook",
}
GROUP = "clarion.test_channels"


def test_builtin_entry_points_load() -> None:
    registry, failures = ChannelRegistry.from_entry_points()
    assert failures == []
    assert {cls.id for cls in registry.classes()} >= BUILTIN_IDS


def fake_entry_points(monkeypatch: pytest.MonkeyPatch, *pairs: tuple[str, str]) -> None:
    eps = importlib.metadata.EntryPoints(
        importlib.metadata.EntryPoint(name, value, GROUP) for name, value in pairs
    )
    real = importlib.metadata.entry_points

    def entry_points(**params: str) -> Any:
        return eps if params.get("group") == GROUP else real(**params)

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


def test_every_bad_plugin_is_a_load_failure_and_logged(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "broken_plugin.py").write_text(
        "from channels import ChannelProvider\nclass Incomplete(ChannelProvider):\n    id = 'incomplete'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "broken_plugin", raising=False)
    fake_entry_points(
        monkeypatch,
        ("smtp", "channels.smtp:SmtpProvider"),
        ("smtp", "channels.smtp:SmtpProvider"),  # a second distribution claiming the same id
        ("email", "channels.smtp:SmtpProvider"),
        ("ghost", "channels.no_such_module:Ghost"),
        ("enum", "channels.base:Channel"),
        ("incomplete", "broken_plugin:Incomplete"),
    )

    with caplog.at_level(logging.WARNING, logger="channels.registry"):
        registry, failures = ChannelRegistry.from_entry_points(group=GROUP)

    assert [cls.id for cls in registry.classes()] == ["smtp"]
    by_name = {f.entry_point: f.error for f in failures}
    assert [f.entry_point for f in failures] == ["smtp", "email", "ghost", "enum", "incomplete"]
    assert "duplicate" in by_name["smtp"] and "differs from the class id 'smtp'" in by_name["email"]
    assert "import failed: ModuleNotFoundError" in by_name["ghost"]
    assert "not a ChannelProvider subclass" in by_name["enum"]
    assert "abstract" in by_name["incomplete"] and "channel must be a Channel" in by_name["incomplete"]
    assert failures[2].value == "channels.no_such_module:Ghost"
    assert len(caplog.records) == len(failures)


def test_allow_list_skips_others_and_reports_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, ("smtp", "channels.smtp:SmtpProvider"), ("ghost", "nowhere:Ghost"))
    registry, failures = ChannelRegistry.from_entry_points(group=GROUP, allow={"smtp", "webhook"})
    assert "smtp" in registry and len(registry) == 1
    assert failures == [LoadFailure("webhook", f"allowed but no entry point in {GROUP!r} provides it")]


@pytest.fixture
def registry() -> ChannelRegistry:
    return ChannelRegistry({"smtp": SmtpProvider, "slack_bot": SlackBotProvider, "webhook": WebhookProvider})


def test_lookup(registry: ChannelRegistry) -> None:
    assert registry.get("smtp") is SmtpProvider
    assert [cls.id for cls in registry.classes()] == ["slack_bot", "smtp", "webhook"]
    assert registry.for_channel(Channel.CHAT) == [SlackBotProvider]
    assert registry.for_channel("email") == [SmtpProvider]
    with pytest.raises(UnknownProviderError, match="unknown channel provider 'nope'") as caught:
        registry.get("nope")
    assert isinstance(caught.value, KeyError) and caught.value.provider_id == "nope"


def test_key_must_match_class_id() -> None:
    with pytest.raises(ValueError, match="declares id 'smtp'"):
        ChannelRegistry({"email": SmtpProvider})


def test_create_validates_config_and_passes_context(registry: ChannelRegistry) -> None:
    context = ProviderContext()
    provider = registry.create("slack_bot", {"bot_token": "xoxb-1"}, context=context)
    assert isinstance(provider, SlackBotProvider) and provider.context is context
    model = SlackBotConfig.model_validate({"bot_token": "xoxb-2"})
    assert registry.create("slack_bot", model).config is model


def test_create_accepts_another_model_with_the_same_fields(registry: ChannelRegistry) -> None:
    class Stored(BaseModel):
        bot_token: str
        default_channel: str

    provider = registry.create("slack_bot", Stored(bot_token="xoxb-3", default_channel="C1"))
    assert provider.config.bot_token.get_secret_value() == "xoxb-3"


def test_invalid_config_is_typed_and_never_echoes_secrets(registry: ChannelRegistry) -> None:
    with pytest.raises(InvalidProviderConfig) as caught:
        registry.create("webhook", {"secret": "whsec_!!super-secret!!", "timeout": -1})
    error = caught.value
    assert error.provider_id == "webhook" and isinstance(error, ValueError)
    assert {e["loc"] for e in error.errors} == {("secret",), ("timeout",)}
    assert "super-secret" not in str(error) and "super-secret" not in repr(error.errors)
    assert error.__cause__ is None
