"""Which provider instance delivers a step: the seam the integrations store plugs into.

Until integrations are stored per environment, email goes to the SMTP server of the settings
and in-app messages to the message store; other channels have no provider yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from channels import Channel, ChannelProvider, ChannelRegistry, ProviderContext
from clarion.settings import SmtpSettings


class ProviderSource(Protocol):
    def provider_for(
        self, channel: Channel, *, environment_id: str, overrides: Mapping[str, Any], context: ProviderContext
    ) -> ChannelProvider[Any, Any] | None:
        """The provider for ``channel`` in this environment, or None when none is configured."""
        ...


class SettingsProviders:
    """Providers configured from settings alone (the embedded default)."""

    def __init__(self, *, registry: ChannelRegistry, smtp: SmtpSettings) -> None:
        self._registry = registry
        self._smtp = smtp

    def provider_for(
        self, channel: Channel, *, environment_id: str, overrides: Mapping[str, Any], context: ProviderContext
    ) -> ChannelProvider[Any, Any] | None:
        if channel == Channel.IN_APP:
            return self._registry.create("in_app", {}, context=context)
        if channel == Channel.EMAIL:
            config: dict[str, Any] = {
                "host": self._smtp.host, "port": self._smtp.port, "security": self._smtp.security,
                "username": self._smtp.username, "from_address": self._smtp.from_address,
                "from_name": self._smtp.from_name,
                "password": self._smtp.password.get_secret_value() if self._smtp.password else None,
            }
            return self._registry.create("smtp", config, context=context)
        return None
