"""Translations for templates: nested messages per locale, looked up by dotted key.

The caller puts a translator into the render context under the name ``t``, chosen from the
subscriber's locale::

    context = {"subscriber": ..., "payload": ..., "t": translations.translator(subscriber.locale)}
    renderer.render("{{ t('welcome.title', name=subscriber.firstName) }}", context)

Placeholders are filled by a small regex, never ``str.format``: translation strings are user data,
and ``"{x.__class__}"`` must not reach Python's attribute lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

# Both "{name}" and i18next's "{{name}}" (what Novu's translation files use) are accepted.
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}|\{([A-Za-z_]\w*)\}")


#: The fallback locale of an environment that never set one (so ``en_US``, then ``en``).
DEFAULT_FALLBACK_LOCALE = "en_US"

# language (2-3 letters), optional script (4 letters), optional region (2 letters or 3 digits).
_LOCALE = re.compile(r"^([A-Za-z]{2,3})(?:[_-]([A-Za-z]{4}))?(?:[_-]([A-Za-z]{2}|[0-9]{3}))?$")


def normalize_locale(locale: str) -> str:
    """Return the comparable form of a locale tag: ``"de-AT"`` and ``"de_at"`` give ``"de_at"``."""
    return locale.strip().replace("-", "_").lower()


def canonical_locale(locale: str) -> str | None:
    """Return the stored spelling of a locale tag, or None when it is not one.

    ``"en"``, ``"en-us"`` and ``"EN_US"`` give ``"en"``, ``"en_US"``, ``"en_US"``; a script is
    title-cased (``"zh_Hant_TW"``). Anything else (``"english"``, ``"en-"``) is None.
    """
    match = _LOCALE.match(locale.strip())
    if match is None:
        return None
    language, script, region = match.groups()
    parts = [language.lower(), script.title() if script else None, region.upper() if region else None]
    return "_".join(part for part in parts if part)


def _flatten(messages: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in messages.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{path}."))
        elif isinstance(value, str):
            flat[path] = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[path] = str(value)
        # Lists, booleans and nulls are not messages; a lookup of them falls back like a missing key.
    return flat


def message_problems(messages: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """``(path, problem)`` for every entry that is not a message or a group of messages.

    A translation document maps keys to strings (or numbers) or to nested documents; lists,
    booleans, nulls and empty keys are mistakes worth reporting when the document is saved.
    """
    problems: list[tuple[str, str]] = []
    for key, value in messages.items():
        path = f"{prefix}{key}"
        if not key or not key.strip():
            problems.append((path or "(empty key)", "keys must not be empty"))
        elif isinstance(value, Mapping):
            problems += message_problems(value, f"{path}.")
        elif not isinstance(value, str) and (isinstance(value, bool) or not isinstance(value, int | float)):
            problems.append((path, "must be a string or a nested object of strings"))
    return problems


def message_count(messages: Mapping[str, Any]) -> int:
    """How many dotted keys the document defines."""
    return len(_flatten(messages))


def fill(message: str, variables: Mapping[str, Any]) -> str:
    """Replace ``{name}`` / ``{{name}}`` placeholders; unknown ones are left as written, None is empty."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in variables:
            return match.group(0)
        value = variables[name]
        return "" if value is None else str(value)  # like templates, where null prints as nothing

    return _PLACEHOLDER.sub(replace, message)


class Translations:
    """Messages for several locales with a fallback locale.

    Args:
        messages: ``{locale: {key: message or nested mapping}}``; nested keys are joined with dots,
            so ``{"welcome": {"title": "Hi"}}`` defines ``"welcome.title"``.
        fallback_locale: Locale used when the requested one (and its language) lacks a key.
    """

    def __init__(self, messages: Mapping[str, Mapping[str, Any]], *, fallback_locale: str = "en") -> None:
        self._catalogs = {normalize_locale(locale): _flatten(tree) for locale, tree in messages.items()}
        self.fallback_locale = fallback_locale

    @property
    def locales(self) -> frozenset[str]:
        """The normalized locales that have messages."""
        return frozenset(self._catalogs)

    def _chain(self, locale: str | None) -> list[dict[str, str]]:
        # Exact locale, then its language ("de" for "de_AT"), then the fallback and its language.
        candidates = []
        for tag in (locale, self.fallback_locale):
            if tag:
                norm = normalize_locale(tag)
                candidates += [norm, norm.split("_", 1)[0]]
        seen = dict.fromkeys(candidates)
        return [self._catalogs[tag] for tag in seen if tag in self._catalogs]

    def lookup(self, key: str, locale: str | None = None) -> str | None:
        """Return the raw message for ``key`` following the locale order, or None if it is missing.

        Args:
            key: Dotted message key.
            locale: Requested locale (``"de-AT"``, ``"de_AT"``, ``"de"``), or None for the fallback.

        Returns:
            The message with its placeholders unfilled, or None.
        """
        for catalog in self._chain(locale):
            if key in catalog:
                return catalog[key]
        return None

    def translator(self, locale: str | None) -> Callable[..., str]:
        """Return ``t(key, **variables)`` for one locale, to put into the render context as ``t``.

        Args:
            locale: The subscriber's locale, or None.

        Returns:
            A function that returns the filled message, or the key itself when no locale has it
            (so a missing translation shows up in the output instead of failing the send).
        """
        chain = self._chain(locale)

        def t(key: str, /, **variables: Any) -> str:
            for catalog in chain:
                if key in catalog:
                    return fill(catalog[key], variables)
            return key

        return t
