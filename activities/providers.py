"""Which providers deliver a step, in failover order: the integrations of the environment.

For a channel the order is: the integration the trigger names (``overrides.<channel>.
integrationIdentifier``, or a provider named in Novu's ``overrides.providers``), then the primary,
then the other active integrations by age. In-app messages always go to the message store; email
falls back to the SMTP server of the settings when the environment has no email integration.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from activities.send_rate import gate_for, rate_limited
from channels import (
    Channel,
    ChannelProvider,
    ChannelRegistry,
    InvalidProviderConfig,
    ProviderContext,
    UnknownProviderError,
)
from core.settings import SmtpSettings
from store import integrations
from store.crypto import CredentialCipher, UnreadableCredentials
from store.engine import Sessions
from store.models import Integration

logger = logging.getLogger(__name__)
SETTINGS_SMTP = "settings-smtp"


@dataclass(frozen=True)
class Candidate:
    """One provider to try, and the integration it was built from."""

    provider: ChannelProvider[Any, Any]
    integration: str


class ProviderSource(Protocol):
    async def providers_for(
        self, channel: Channel, *, environment_id: str, overrides: Mapping[str, Any], context: ProviderContext
    ) -> list[Candidate]:
        """The providers for ``channel`` in this environment, first choice first (empty: none)."""
        ...


def preferred(channel: Channel, overrides: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """Integration identifiers and provider ids the trigger asks for on ``channel``."""
    identifiers: set[str] = set()
    per_channel = overrides.get(channel.value)
    if isinstance(per_channel, Mapping) and isinstance(per_channel.get("integrationIdentifier"), str):
        identifiers.add(per_channel["integrationIdentifier"])
    providers = overrides.get("providers")
    return identifiers, set(providers) if isinstance(providers, Mapping) else set()


def ordered(rows: list[Integration], identifiers: set[str], provider_ids: set[str]) -> list[Integration]:
    """Asked-for integrations first; otherwise keep the store's order (primary, then by age)."""
    return sorted(rows, key=lambda r: (r.identifier not in identifiers, r.provider_id not in provider_ids))


class IntegrationProviders:
    """Providers built from an environment's stored integrations (credentials decrypted per call)."""

    def __init__(
        self, *, registry: ChannelRegistry, sessions: Sessions, cipher: CredentialCipher, smtp: SmtpSettings
    ) -> None:
        self._registry = registry
        self._sessions = sessions
        self._cipher = cipher
        self._smtp = smtp

    async def providers_for(
        self, channel: Channel, *, environment_id: str, overrides: Mapping[str, Any], context: ProviderContext
    ) -> list[Candidate]:
        if channel == Channel.IN_APP:
            return [Candidate(self._registry.create("in_app", {}, context=context), "in_app")]
        async with self._sessions() as session:
            rows = list(await integrations.list_for(
                session=session, environment_id=uuid.UUID(environment_id), channel=channel.value, active_only=True
            ))
        found: list[Candidate] = []
        for row in ordered(rows, *preferred(channel, overrides)):
            try:
                provider = self._registry.create(row.provider_id, self._cipher.open(row.credentials), context=context)
            except (UnknownProviderError, InvalidProviderConfig, UnreadableCredentials) as exc:
                # One broken integration must not stop the others from delivering.
                logger.warning("integration %s (%s) skipped: %s", row.identifier, row.provider_id, exc)
                continue
            if row.max_per_second:  # every send waits for a slot shared by all workers (activities/send_rate.py)
                provider = rate_limited(provider, gate_for(sessions=self._sessions, integration_id=row.id,
                                                           rate=row.max_per_second, burst=row.burst))
            found.append(Candidate(provider, row.identifier))
        if channel == Channel.EMAIL and not rows:
            found.append(Candidate(self._registry.create("smtp", self._smtp_config(), context=context), SETTINGS_SMTP))
        return found

    def _smtp_config(self) -> dict[str, Any]:
        smtp = self._smtp
        return {
            "host": smtp.host, "port": smtp.port, "security": smtp.security, "username": smtp.username,
            "from_address": smtp.from_address, "from_name": smtp.from_name,
            "password": smtp.password.get_secret_value() if smtp.password else None,
        }
