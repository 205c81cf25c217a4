"""Static checks of a provider class's declaration, shared by the registry and ``channels.testing``."""

from __future__ import annotations

import inspect
import json
from typing import Any, get_args

from pydantic import BaseModel, SecretStr

from channels.base import Capabilities, Channel, ChannelProvider

# Field names that hold credentials; such a field must be SecretStr so reprs and dumps mask it.
_SECRET_SUFFIXES = ("password", "secret", "token", "api_key", "apikey", "auth_token", "private_key")


def _mentions_secret(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    return any(_mentions_secret(arg) for arg in get_args(annotation))


def declaration_problems(cls: Any) -> list[str]:
    """Everything wrong with how ``cls`` declares the provider contract (empty when it is fine)."""
    if not (isinstance(cls, type) and issubclass(cls, ChannelProvider)):
        return [f"{cls!r} is not a ChannelProvider subclass"]
    problems: list[str] = []
    if inspect.isabstract(cls):
        problems.append(f"{cls.__name__} is abstract (send is not implemented)")
    provider_id = getattr(cls, "id", None)
    if not isinstance(provider_id, str) or not provider_id.isidentifier():
        problems.append(f"{cls.__name__}.id must be a non-empty identifier string, not {provider_id!r}")
    if not isinstance(getattr(cls, "channel", None), Channel):
        problems.append(f"{cls.__name__}.channel must be a Channel")
    if not isinstance(getattr(cls, "display_name", None), str) or not cls.display_name:
        problems.append(f"{cls.__name__}.display_name must be a non-empty string")
    if not isinstance(getattr(cls, "capabilities", None), Capabilities):
        problems.append(f"{cls.__name__}.capabilities must be a Capabilities")
    message_model = getattr(cls, "message_model", None)
    if not (isinstance(message_model, type) and issubclass(message_model, BaseModel)):
        problems.append(f"{cls.__name__}.message_model must be a pydantic model class")
    config_model = getattr(cls, "config_model", None)
    if not (isinstance(config_model, type) and issubclass(config_model, BaseModel)):
        problems.append(f"{cls.__name__}.config_model must be a pydantic model class")
        return problems
    try:
        json.dumps(config_model.model_json_schema())
    except Exception as exc:  # any failure means the UI cannot render the form
        problems.append(f"{cls.__name__}.config_model has no JSON schema: {exc}")
    for name, field in config_model.model_fields.items():
        if name.lower().endswith(_SECRET_SUFFIXES) and not _mentions_secret(field.annotation):
            problems.append(f"{cls.__name__}.config_model.{name} looks like a secret but is not SecretStr")
    return problems


def secret_values(value: Any) -> list[str]:
    """Every clear-text SecretStr value inside a config model (to check nothing leaks them)."""
    if isinstance(value, SecretStr):
        return [value.get_secret_value()]
    if isinstance(value, BaseModel):
        return [s for name in type(value).model_fields for s in secret_values(getattr(value, name))]
    if isinstance(value, dict):
        return [s for item in value.values() for s in secret_values(item)]
    if isinstance(value, list | tuple | set | frozenset):
        return [s for item in value for s in secret_values(item)]
    return []
