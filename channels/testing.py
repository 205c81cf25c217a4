"""Contract checks a provider package can run in its own test suite, without Clarion installed.

Subclass ``ProviderContract`` in a module pytest collects, and name the class and a valid config::

    from channels.testing import ProviderContract
    from acme_channels.pager import PagerProvider

    class TestPagerContract(ProviderContract):
        provider_class = PagerProvider
        valid_config = {"api_key": "k-123", "region": "eu"}

The checks are plain ``assert`` statements, so they need pytest only to be collected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from channels._contract import declaration_problems, secret_values
from channels.base import ChannelProvider
from channels.registry import ChannelRegistry

__all__ = ["ProviderContract", "assert_declares_contract", "assert_hides_secrets"]


def assert_declares_contract(provider_class: type[Any]) -> None:
    """Fail with every problem in how ``provider_class`` declares the provider contract."""
    problems = declaration_problems(provider_class)
    assert not problems, "provider contract broken:\n" + "\n".join(problems)


def assert_hides_secrets(provider_class: type[ChannelProvider[Any, Any]], config: Mapping[str, Any]) -> None:
    """Fail if a clear-text secret of ``config`` shows in the config's or the provider's reprs or dumps."""
    registry = ChannelRegistry({provider_class.id: provider_class})
    provider = registry.create(provider_class.id, config)
    secrets = [s for s in secret_values(provider.config) if s]
    assert secrets, "valid_config sets no SecretStr value, so secrecy cannot be checked"
    views = {
        "repr(config)": repr(provider.config),
        "str(config)": str(provider.config),
        "config.model_dump_json()": provider.config.model_dump_json(),
        "json.dumps(config.model_dump(mode='json'))": json.dumps(provider.config.model_dump(mode="json")),
        "repr(provider)": repr(provider),
    }
    leaks = [name for name, text in views.items() for secret in secrets if secret in text]
    assert not leaks, f"a secret shows in clear text in: {', '.join(sorted(set(leaks)))}"


class ProviderContract:
    """Mix-in test class; set ``provider_class`` and ``valid_config`` in a ``Test...`` subclass.

    Attributes:
        provider_class: The provider under test.
        valid_config: A config the provider's ``config_model`` accepts; include a value for every
            secret field so the secrecy check has something to look for.
    """

    provider_class: ClassVar[type[ChannelProvider[Any, Any]]]
    valid_config: ClassVar[Mapping[str, Any]]

    def test_declares_contract(self) -> None:
        assert_declares_contract(self.provider_class)

    def test_config_schema_is_json(self) -> None:
        schema = self.provider_class.config_model.model_json_schema()
        assert json.loads(json.dumps(schema)) == schema

    def test_valid_config_is_accepted(self) -> None:
        registry = ChannelRegistry({self.provider_class.id: self.provider_class})
        provider = registry.create(self.provider_class.id, self.valid_config)
        assert isinstance(provider, self.provider_class)

    def test_secrets_are_hidden(self) -> None:
        if secret_values(self.provider_class.config_model.model_validate(self.valid_config)) or any(
            "SecretStr" in str(field.annotation)
            for field in self.provider_class.config_model.model_fields.values()
        ):
            assert_hides_secrets(self.provider_class, self.valid_config)

    def test_message_model_has_a_json_schema(self) -> None:
        # Messages cross Temporal activity boundaries as JSON; the schema must exist.
        schema = self.provider_class.message_model.model_json_schema()
        assert schema.get("type") == "object"
