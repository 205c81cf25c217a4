"""The provider registry: every provider class, found once through entry points, looked up by id.

Built-in and third-party providers register the same way, as entry points in the
``clarion.channels`` group whose name is the provider id::

    [project.entry-points."clarion.channels"]
    smtp = "channels.smtp:SmtpProvider"

Loading never swallows a broken plugin: each problem becomes a ``LoadFailure`` returned to the
caller (for ``clarion plugins`` and the health endpoint) and logged once.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from pydantic import BaseModel, ValidationError

from channels._contract import declaration_problems
from channels.base import Channel, ChannelProvider, ProviderContext

__all__ = ["ChannelRegistry", "InvalidProviderConfig", "LoadFailure", "UnknownProviderError"]

logger = logging.getLogger(__name__)

ProviderClass = type[ChannelProvider[Any, Any]]


@dataclass(frozen=True)
class LoadFailure:
    """An entry point that could not become a provider.

    Attributes:
        entry_point: The entry-point name (the provider id it claims).
        error: What went wrong, readable by an operator.
        value: The entry-point target, ``"module:Class"``.
    """

    entry_point: str
    error: str
    value: str = ""


class UnknownProviderError(KeyError):
    """No provider with this id is registered.

    Attributes:
        provider_id: The id that was asked for.
    """

    def __init__(self, provider_id: str) -> None:
        super().__init__(provider_id)
        self.provider_id = provider_id

    def __str__(self) -> str:
        return f"unknown channel provider {self.provider_id!r}"


class InvalidProviderConfig(ValueError):
    """An integration's stored configuration does not validate against the provider's config model.

    Attributes:
        provider_id: The provider whose config failed.
        errors: Pydantic's error list without the input values, so secrets are never echoed.
    """

    def __init__(self, provider_id: str, error: ValidationError) -> None:
        self.provider_id = provider_id
        self.errors = error.errors(include_input=False, include_url=False)
        fields = ", ".join(".".join(map(str, e["loc"])) or "(root)" for e in self.errors)
        super().__init__(f"invalid configuration for {provider_id!r}: {fields}")


class ChannelRegistry:
    """An immutable map from provider id to provider class, built once and passed around.

    Args:
        providers: Provider classes by id. Each key must equal its class's ``id``.

    Raises:
        ValueError: A key does not match its class's ``id``.
    """

    def __init__(self, providers: Mapping[str, ProviderClass]) -> None:
        for provider_id, cls in providers.items():
            if getattr(cls, "id", None) != provider_id:
                raise ValueError(f"provider registered as {provider_id!r} declares id {cls.id!r}")
        self._providers: dict[str, ProviderClass] = dict(sorted(providers.items()))

    @classmethod
    def from_entry_points(
        cls, *, group: str = "clarion.channels", allow: Collection[str] | None = None
    ) -> tuple[ChannelRegistry, list[LoadFailure]]:
        """Load every provider declared in an entry-point group.

        Args:
            group: The entry-point group to read.
            allow: When given, only these provider ids are loaded (an allowlist, as Datasette's
                ``DATASETTE_LOAD_PLUGINS``); an allowed id that no entry point provides is a failure.

        Returns:
            The registry of providers that loaded, and a failure for each entry point that did
            not: import errors, classes that break the contract, a name that differs from the
            class ``id``, and duplicate ids (the first one found wins).
        """
        providers: dict[str, ProviderClass] = {}
        failures: list[LoadFailure] = []
        for ep in metadata.entry_points(group=group):
            if allow is not None and ep.name not in allow:
                continue
            if ep.name in providers:
                failures.append(LoadFailure(ep.name, "duplicate id; the first one found is used", ep.value))
                continue
            try:
                loaded = ep.load()
            except Exception as exc:  # a plugin may raise anything on import; report, do not crash
                failures.append(LoadFailure(ep.name, f"import failed: {type(exc).__name__}: {exc}", ep.value))
                continue
            if problems := declaration_problems(loaded):
                failures.append(LoadFailure(ep.name, "; ".join(problems), ep.value))
            elif loaded.id != ep.name:
                mismatch = f"entry point name differs from the class id {loaded.id!r}"
                failures.append(LoadFailure(ep.name, mismatch, ep.value))
            else:
                providers[ep.name] = loaded
        for missing in sorted(set(allow or ()) - providers.keys() - {f.entry_point for f in failures}):
            failures.append(LoadFailure(missing, f"allowed but no entry point in {group!r} provides it"))
        for failure in failures:
            logger.warning(
                "channel provider %r (%s) not loaded: %s", failure.entry_point, failure.value, failure.error
            )
        return cls(providers), failures

    def get(self, provider_id: str) -> ProviderClass:
        """The provider class registered under ``provider_id``.

        Raises:
            UnknownProviderError: No such provider.
        """
        try:
            return self._providers[provider_id]
        except KeyError:
            raise UnknownProviderError(provider_id) from None

    def classes(self) -> list[ProviderClass]:
        """Every registered provider class, sorted by id."""
        return list(self._providers.values())

    def for_channel(self, channel: Channel | str) -> list[ProviderClass]:
        """The provider classes that deliver on ``channel``, sorted by id."""
        return [cls for cls in self._providers.values() if cls.channel == channel]

    def create(
        self,
        provider_id: str,
        config: Mapping[str, Any] | BaseModel,
        *,
        context: ProviderContext | None = None,
    ) -> ChannelProvider[Any, Any]:
        """Build a provider instance for one integration.

        Args:
            provider_id: The provider to build.
            config: Stored credentials (a mapping) or an already validated config model.
            context: Resources the host lends the provider (HTTP client, in-app sink).

        Raises:
            UnknownProviderError: No such provider.
            InvalidProviderConfig: ``config`` does not validate against the provider's model.
        """
        cls = self.get(provider_id)
        try:
            if isinstance(config, cls.config_model):
                validated = config
            elif isinstance(config, BaseModel):
                validated = cls.config_model.model_validate(dict(config))
            else:
                validated = cls.config_model.model_validate(config)
        except ValidationError as exc:
            # from None: the chained ValidationError would print the input values, secrets included.
            raise InvalidProviderConfig(provider_id, exc) from None
        return cls(validated, context=context)

    def __contains__(self, provider_id: object) -> bool:
        return provider_id in self._providers

    def __len__(self) -> int:
        return len(self._providers)

    def __repr__(self) -> str:
        return f"ChannelRegistry({list(self._providers)})"
