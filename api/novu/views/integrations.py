"""Integration credentials on the wire: accepted in Novu's or Clarion's names, validated by the
provider's ``config_model``, and shown only masked.

Which fields are secret is read from the config model (any field typed ``SecretStr``, also inside
a dict or list), so a plugin's secrets are masked without it doing anything.
"""

from __future__ import annotations

import re
import typing
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from api.errors import BadRequest
from api.novu.providers import novu_id
from api.novu.schemas.base import novu_json
from api.novu.views.subscribers import stamp
from store.models import Integration

MASK = "••••"
# Novu's credential names that are not simply camelCase versions of Clarion's.
NOVU_ALIASES = {"from": "from_address", "user": "username", "senderName": "from_name", "apiToken": "api_token"}


def _holds_secret(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    return any(_holds_secret(arg) for arg in typing.get_args(annotation))


def secret_fields(config_model: type[BaseModel]) -> frozenset[str]:
    """The config fields whose values are secrets."""
    return frozenset(name for name, f in config_model.model_fields.items() if _holds_secret(f.annotation))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def normalize(config_model: type[BaseModel], credentials: dict[str, Any]) -> dict[str, Any]:
    """Map Novu-style keys (``webhookUrl``, ``from``, ``user``) onto the config model's field names."""
    fields = config_model.model_fields
    out: dict[str, Any] = {}
    for key, value in credentials.items():
        if value is None:
            continue
        name = key if key in fields else _snake(key) if _snake(key) in fields else NOVU_ALIASES.get(key, key)
        out[name] = value
    return out


def keep_unchanged_secrets(
    config_model: type[BaseModel], incoming: dict[str, Any], stored: dict[str, Any]
) -> dict[str, Any]:
    """A masked value sent back (a client's read-modify-write) means "keep the stored secret"."""
    merged = dict(incoming)
    for name in secret_fields(config_model):
        value = merged.get(name)
        if isinstance(value, str) and value.startswith(MASK) and name in stored:
            merged[name] = stored[name]
        elif isinstance(value, dict) and isinstance(stored.get(name), dict):
            merged[name] = {k: stored[name].get(k, v) if isinstance(v, str) and v.startswith(MASK) else v
                            for k, v in value.items()}
    return merged


def validate(provider_id: str, config_model: type[BaseModel], credentials: dict[str, Any]) -> None:
    """Raise a 400 naming each invalid field (never echoing a value, which may be a secret)."""
    try:
        config_model.model_validate(credentials)
    except ValidationError as exc:
        errors = {
            "credentials." + ".".join(str(p) for p in e["loc"]): e["msg"]
            for e in exc.errors(include_input=False, include_url=False)
        }
        raise BadRequest(f"Invalid credentials for provider {provider_id}: {', '.join(errors)}",
                         field_errors=errors) from None


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    text = str(value)
    return MASK + text[-4:] if len(text) >= 12 else MASK


def masked(config_model: type[BaseModel] | None, credentials: dict[str, Any]) -> dict[str, Any]:
    """Credentials as the API shows them: camelCase keys, secrets masked, scalars as strings (as Novu)."""
    secrets = secret_fields(config_model) if config_model is not None else frozenset(credentials)
    shown: dict[str, Any] = {}
    for name, value in credentials.items():
        if name in secrets:
            value = _mask(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        shown[_camel(name)] = value
    return shown


def integration_dto(row: Integration, organization_id: str, credentials: dict[str, Any]) -> dict[str, Any]:
    """Novu's IntegrationResponseDto; ``credentials`` must already be masked."""
    return novu_json({
        "_id": str(row.id), "_environmentId": str(row.environment_id), "_organizationId": organization_id,
        "name": row.name, "identifier": row.identifier, "providerId": novu_id(row.provider_id),
        "clarionProviderId": row.provider_id,
        "channel": row.channel,
        "credentials": credentials, "active": row.active, "deleted": False, "primary": row.primary,
        "conditions": [], "createdAt": stamp(row.created_at), "updatedAt": stamp(row.updated_at),
    })


__all__ = ["integration_dto", "keep_unchanged_secrets", "masked", "normalize", "secret_fields", "validate"]
