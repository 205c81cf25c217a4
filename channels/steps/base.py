"""The contract of a channel step kind, and the recipient it delivers to."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from channels.base import Channel


class Recipient(BaseModel):
    """The subscriber a message goes to: addresses and channel credentials, no ORM object."""

    model_config = ConfigDict(frozen=True)

    subscriber_id: str
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    avatar: str | None = None
    locale: str | None = None
    timezone: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    # [{"providerId", "integrationIdentifier", "credentials": {...}}], as Novu stores them.
    channels: list[dict[str, Any]] = Field(default_factory=list)


class Unreachable(Exception):
    """The recipient has no address for this channel: the step is skipped for them, not failed."""


def _get(controls: Mapping[str, Any], path: str) -> Any:
    value: Any = controls
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def template_sources(kind: StepKind, controls: Mapping[str, Any]) -> dict[str, str]:
    """The non-empty template fields of ``controls``, by dotted path (``primaryAction.label``)."""
    found = {}
    for path in kind.template_fields:
        value = _get(controls, path)
        if isinstance(value, str) and value:
            found[path] = value
    return found


class StepKind(ABC):
    """One channel step type.

    Attributes:
        type: The step type as workflows store and Novu sends it (``in_app``, ``email``).
        channel: The channel whose providers deliver it.
        controls_model: Validates the step's controls when a workflow is saved.
        template_fields: Dotted control paths holding Jinja templates, each mapped to whether it
            renders with HTML escaping.
    """

    type: ClassVar[str]
    channel: ClassVar[Channel]
    controls_model: ClassVar[builtins.type[BaseModel]]
    template_fields: ClassVar[Mapping[str, bool]]

    def html_fields(self) -> frozenset[str]:
        """The template fields rendered with HTML escaping."""
        return frozenset(path for path, html in self.template_fields.items() if html)

    @abstractmethod
    def build_message(
        self, rendered: Mapping[str, str], *, recipient: Recipient, payload: Mapping[str, Any]
    ) -> BaseModel:
        """Turn rendered template fields into the provider message for ``recipient``.

        Raises:
            Unreachable: The recipient has no address on this channel.
        """
