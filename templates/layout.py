"""Email layouts: the shell an email step body is rendered into.

A layout is an HTML template that reads ``{{ body }}`` where the rendered step body goes, and may use
the same context as the step (``subscriber``, ``tenant``, ...). The default layout ships as package
data in ``templates/layouts/default.html``.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

#: The context name a layout must read to place the step body.
BODY = "body"

#: Top-level names a layout may read: the step's context, ``body`` and the rendered ``subject``.
LAYOUT_EXTRA_ROOTS: frozenset[str] = frozenset({BODY, "subject"})

# Novu's layouts place the body with Handlebars' unescaped ``{{{body}}}``, which Jinja cannot parse.
_TRIPLE_BODY = re.compile(r"\{\{\{\s*body\s*\}\}\}")


def from_novu(source: str) -> str:
    """Rewrite Novu's ``{{{body}}}`` to ``{{ body }}`` so a layout copied from Novu keeps working.

    The body is already rendered (and escaped) when the layout runs, so it is inserted as is either way.
    """
    return _TRIPLE_BODY.sub("{{ body }}", source)


# Novu's v2 layouts place the body with ``{{content}}``.
_V2_CONTENT = re.compile(r"\{\{\s*content\s*\}\}")
_BODY = re.compile(r"\{\{\s*body\s*\}\}")


def from_novu_v2(source: str) -> str:
    """Rewrite a v2 layout's ``{{content}}`` (and v1's ``{{{body}}}``) to Clarion's ``{{ body }}``."""
    return _V2_CONTENT.sub("{{ body }}", from_novu(source))


def to_novu_v2(source: str) -> str:
    """A stored layout as Novu's v2 layout routes show it: the body placed with ``{{content}}``."""
    return _BODY.sub("{{content}}", source)


@cache
def default_layout() -> str:
    """Return the source of the built-in email layout (read once from package data).

    Returns:
        Jinja HTML source containing ``{{ body }}``.
    """
    return files("templates").joinpath("layouts", "default.html").read_text(encoding="utf-8")
