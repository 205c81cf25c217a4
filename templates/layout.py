"""Email layouts: the shell an email step body is rendered into.

A layout is an HTML template that reads ``{{ body }}`` where the rendered step body goes, and may use
the same context as the step (``subscriber``, ``tenant``, ...). The default layout ships as package
data in ``templates/layouts/default.html``.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

#: The context name a layout must read to place the step body.
BODY = "body"


@cache
def default_layout() -> str:
    """Return the source of the built-in email layout (read once from package data).

    Returns:
        Jinja HTML source containing ``{{ body }}``.
    """
    return files("templates").joinpath("layouts", "default.html").read_text(encoding="utf-8")
