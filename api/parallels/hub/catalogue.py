"""Event types a socket may ask for (event-apis.md §3.2-§3.4), and how subscriptions match an event."""

from __future__ import annotations

import re
from collections.abc import Iterable

GLOBAL, HEALTH, SYSTEM = "global", "health", "system"
ALWAYS = (GLOBAL, HEALTH, SYSTEM)
MAX_TYPES = 100
# Types a subscriber-token socket receives (its own events only); the rest are for API keys.
OWN = (
    "message.sent", "message.delivered", "message.failed", "message.read", "message.seen", "message.archived",
    "inbox.notification.received", "inbox.unseen_count.changed", "inbox.unread_count.changed",
)
KEY_ONLY = (
    "notification.created", "workflow.run.completed", "workflow.run.failed", "workflow.run.cancelled",
    "webhook.delivery.failed", "webhook.delivery.deadlettered", "stream.message.published",
)
CATALOGUE = frozenset(OWN + KEY_ONLY + ALWAYS)
RESERVED_PREFIXES = ("notification.", "message.", "inbox.", "workflow.", "webhook.", "stream.")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.:\-]{0,199}$")
_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.:\-]{0,197}\.\*$")


def is_reserved(event_type: str) -> bool:
    lowered = event_type.lower()
    return lowered.startswith(RESERVED_PREFIXES) or lowered in (*ALWAYS, "*")


def requested(values: Iterable[str]) -> list[str]:
    """Comma-separated values, possibly repeated: trimmed, lower-cased, empties and repeats dropped."""
    seen: dict[str, None] = {}
    for value in values:
        for part in value.split(","):
            if part := part.strip().lower():
                seen.setdefault(part, None)
    return list(seen)


def well_formed(value: str) -> bool:
    return value == "*" or bool(_NAME.match(value) or _PATTERN.match(value))


def matches(subscription: str, event_type: str) -> bool:
    if subscription == "*" or subscription == event_type:
        return True
    return subscription.endswith(".*") and event_type.startswith(subscription[:-1])


def allowed(value: str, *, subscriber: bool, env_types: frozenset[str]) -> bool:
    """May this socket subscribe to ``value``? ``env_types``: the environment's event types, lower-cased."""
    if not well_formed(value):
        return False
    if subscriber:
        if value == "*":
            return False
        return value in ALWAYS or any(matches(value, own) for own in OWN)
    if value == "*" or value in CATALOGUE:
        return True
    if value.endswith(".*"):
        return True
    return value in env_types and not is_reserved(value)


def choose(values: list[str], *, subscriber: bool, env_types: frozenset[str]) -> tuple[list[str], list[str]]:
    """(subscriptions, ignored) for a handshake; ``global`` is always added."""
    if not values and subscriber:
        return [*OWN, GLOBAL], []
    kept, ignored = [], []
    for index, value in enumerate(values):
        if index < MAX_TYPES and allowed(value, subscriber=subscriber, env_types=env_types):
            kept.append(value)
        else:
            ignored.append(value)
    if GLOBAL not in kept:
        kept.append(GLOBAL)
    return kept, ignored


def lookup_keys(event_type: str) -> list[str]:
    """Index keys that may hold subscriptions matching ``event_type``: itself, ``*`` and each ``prefix.*``."""
    parts = event_type.split(".")
    return [event_type, "*", *(".".join(parts[:i]) + ".*" for i in range(1, len(parts)))]
