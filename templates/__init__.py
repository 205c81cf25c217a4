"""Sandboxed templates for Clarion (Jinja, and Liquid as Novu renders it): validation, rendering, filters, layouts
and translations.

The render context has these top-level names (`CONTEXT_ROOTS`), built by the caller from plain data:
``subscriber``, ``payload``, ``tenant``, ``actor``, ``step``, ``steps`` (outputs of earlier steps),
``t`` (``Translations(...).translator(subscriber_locale)``), and ``body`` (layouts only).

This package imports nothing else from Clarion.
"""

from templates.environment import CONTEXT_ROOTS
from templates.errors import TemplateProblem, TemplateRenderError
from templates.layout import default_layout
from templates.renderer import TemplateRenderer
from templates.translations import Translations

__all__ = [
    "CONTEXT_ROOTS",
    "TemplateProblem",
    "TemplateRenderError",
    "TemplateRenderer",
    "Translations",
    "default_layout",
]
