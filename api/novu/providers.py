"""Novu's provider ids and credential names, mapped onto Clarion's providers.

A Novu user creates integrations with Novu's ids (``nodemailer``, ``twilio``, ``expo``...) and
Novu's credential names (``apiKey`` for Expo, ``token`` for Twilio, ``secure`` for SMTP). Clarion
stores its own provider id (what the worker's registry knows) and shows Novu's id in the native
answers, with Clarion's id beside it as ``clarionProviderId``. A plugin whose id is already one of
Novu's keeps it; Clarion's own ids are accepted too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from api.errors import BadRequest
from channels import ChannelRegistry, UnknownProviderError
from channels.registry import ProviderClass


@dataclass(frozen=True)
class NovuProvider:
    clarion_id: str
    # Novu's credential name -> the field of Clarion's config model.
    credentials: dict[str, str] = field(default_factory=dict)


_SMTP = NovuProvider("smtp", {"user": "username", "from": "from_address", "senderName": "from_name"})
# The first Novu id of a Clarion provider is the one its integrations show.
NOVU_PROVIDERS: dict[str, NovuProvider] = {
    "nodemailer": _SMTP, "emailjs": _SMTP, "outlook365": _SMTP,
    "twilio": NovuProvider("twilio_sms", {"token": "auth_token", "from": "from_number"}),
    "generic-sms": NovuProvider("http_sms"),
    "fcm": NovuProvider("fcm_push", {"serviceAccount": "service_account_json"}),
    "expo": NovuProvider("expo_push", {"apiKey": "access_token"}),
    "slack": NovuProvider("slack_webhook"),
    "discord": NovuProvider("discord_webhook"),
    "msteams": NovuProvider("msteams_webhook"),
    "mattermost": NovuProvider("mattermost_webhook"),
}  # fmt: skip
_SHOWN: dict[str, str] = {}
for _novu_id, _provider in NOVU_PROVIDERS.items():
    _SHOWN.setdefault(_provider.clarion_id, _novu_id)


def novu_id(clarion_id: str) -> str:
    """The id a Novu client sees for a Clarion provider (its own id when Novu has none)."""
    return _SHOWN.get(clarion_id, clarion_id)


def novu_ids(clarion_id: str) -> list[str]:
    return [key for key, provider in NOVU_PROVIDERS.items() if provider.clarion_id == clarion_id]


def resolve(channels: ChannelRegistry, provider_id: str) -> tuple[ProviderClass, NovuProvider | None]:
    """The provider class for a Novu or Clarion id; a 400 naming the id and listing what is available."""
    known = NOVU_PROVIDERS.get(provider_id)
    target = known.clarion_id if known and provider_id not in channels else provider_id
    try:
        return channels.get(target), known if target != provider_id else None
    except UnknownProviderError:
        novu = (key for key, provider in NOVU_PROVIDERS.items() if provider.clarion_id in channels)
        available = sorted({*channels_ids(channels), *novu})
        raise BadRequest(
            f"Unknown provider {provider_id!r}; available: {', '.join(available)}",
            field_errors={"providerId": f"unknown provider {provider_id!r}; available: {', '.join(available)}"},
        ) from None


def channels_ids(channels: ChannelRegistry) -> list[str]:
    return [cls.id for cls in channels.classes()]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def shown_credentials(clarion_id: str, shown: dict[str, Any]) -> dict[str, Any]:
    """Masked credentials under Novu's names where Novu's differ (``apiKey``, ``from``, ``user``...)."""
    provider = NOVU_PROVIDERS.get(novu_id(clarion_id))
    if provider is None:
        return shown
    novu_names = {_camel(field): name for name, field in provider.credentials.items()}
    return {novu_names.get(key, key): value for key, value in shown.items()}


def novu_credentials(provider: NovuProvider | None, credentials: dict[str, Any]) -> dict[str, Any]:
    """Rename Novu's credential names to Clarion's; SMTP's ``secure``/``ignoreTls`` become ``security``."""
    if provider is None:
        return credentials
    out: dict[str, Any] = {}
    for key, value in credentials.items():
        out[provider.credentials.get(key, key)] = value
    if provider.clarion_id == "smtp":
        secure, ignore_tls = out.pop("secure", None), out.pop("ignoreTls", None)
        out.pop("requireTls", None)  # Clarion's "starttls" already requires it
        if "security" not in out:
            if secure in (True, "true"):
                out["security"] = "tls"
            elif ignore_tls in (True, "true"):
                out["security"] = "none"
    return out
