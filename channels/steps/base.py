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


class ChannelControls(BaseModel):
    """Controls every channel step accepts; unknown keys are refused to catch typos."""

    model_config = ConfigDict(extra="forbid")

    # Stop the run after this step when any of its deliveries failed (the workflow reads it).
    stopOnFailure: bool | None = None


def channel_credentials(recipient: Recipient, field: str) -> list[Any]:
    """The values of ``credentials.<field>`` across the recipient's channel entries, in order."""
    found: list[Any] = []
    for entry in recipient.channels:
        credentials = entry.get("credentials") if isinstance(entry, Mapping) else None
        value = credentials.get(field) if isinstance(credentials, Mapping) else None
        if isinstance(value, list):
            found += [v for v in value if v and v not in found]
        elif value and value not in found:
            found.append(value)
    return found


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
        self, rendered: Mapping[str, str], *, recipient: Recipient, payload: Mapping[str, Any],
        controls: Mapping[str, Any], key: str,
    ) -> BaseModel:
        """Turn rendered template fields into the provider message for ``recipient``.

        Args:
            rendered: The rendered template fields, by dotted path.
            recipient: Who the message goes to.
            payload: The trigger's payload.
            controls: The step's raw controls (for the fields that are not templates).
            key: The delivery's idempotency key, stable across retries.

        Raises:
            Unreachable: The recipient has no address on this channel.
        """
