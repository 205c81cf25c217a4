"""Liquid templates, rendered as Novu renders them (Novu uses LiquidJS; Clarion uses python-liquid).

A step written in Novu's syntax (``{{ payload.name | upcase }}``, ``{{ x | default: 'n/a' }}``,
``{% for e in step.events %}``) renders here byte for byte as in Novu, for the standard filters and
tags both engines share. What this module adds to python-liquid to get there:

- **Output as LiquidJS prints it**: an object or array prints as JSON with single quotes (Novu's
  output escape), a whole float prints without ``.0`` (JavaScript has one number type), ``nil``
  prints nothing, ``true``/``false`` lower case. Output is not HTML-escaped, as in Novu (use the
  ``escape`` filter where a value must be).
- **Undefined as Novu**: a missing value renders empty (LiquidJS with ``strictVariables`` off, as
  Novu renders), so ``default`` applies; *at save* every variable must start at a name the render
  context provides, and every filter must exist, each problem reported with its line.
- **Novu's extra filter** ``json`` (single-quoted JSON, as Novu's).
- **Translations as Novu writes them**: ``{{ t.welcome.title }}`` (the same messages and fallbacks
  as Jinja's ``t('welcome.title')``).
- **Digest events in Novu's shape**: ``step.events`` items are ``{payload: …}`` as in Novu, not
  Clarion's bare payloads.
- **Bounds**: the output is capped at the renderer's limit and loops at ``MAX_LOOP_ITERATIONS``;
  python-liquid's sandbox gives templates no access to Python attributes, only to mappings and
  sequences.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, TextIO

from liquid import Environment, Undefined
from liquid.builtin.output import Output, OutputNode
from liquid.context import RenderContext
from liquid.exceptions import LiquidError, OutputStreamLimitError
from liquid.stringify import to_liquid_string

from templates.errors import TemplateProblem, TemplateRenderError

MAX_LOOP_ITERATIONS = 100_000


def _js_number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _js_number(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_js_number(v) for v in value]
    return value


def single_quoted_json(value: Any) -> str:
    """``JSON.stringify`` with its double quotes turned single and newlines escaped (Novu's output)."""
    text = json.dumps(_js_number(value), ensure_ascii=False, separators=(",", ":"), default=str)
    return text.replace('"', "'").replace("\n", "\\n")


class TranslationKey(Mapping[str, "TranslationKey"]):
    """``t`` in a Liquid template: ``{{ t.welcome.title }}`` prints the subscriber's message for that key.

    Each segment read extends the key; printing (or filtering) it asks the translator, which falls back
    as for Jinja's ``t('welcome.title')``.
    """

    def __init__(self, translate: Callable[[str], str], key: str = "") -> None:
        self._translate = translate
        self._key = key

    def __getitem__(self, segment: str) -> TranslationKey:
        return TranslationKey(self._translate, f"{self._key}.{segment}" if self._key else str(segment))

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __str__(self) -> str:
        return self._translate(self._key) if self._key else ""


def novu_string(value: Any, autoescape: bool) -> str:
    if isinstance(value, Undefined):
        value = ""
    elif isinstance(value, TranslationKey):
        value = str(value)
    elif isinstance(value, Mapping | list | tuple):
        value = single_quoted_json(value)
    elif isinstance(value, float):
        value = _js_number(value)
    return to_liquid_string(value, autoescape)


class _NovuOutputNode(OutputNode):
    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        return buffer.write(novu_string(self.expression.evaluate(context), context.autoescape))

    async def render_to_output_async(self, context: RenderContext, buffer: TextIO) -> int:
        return buffer.write(novu_string(await self.expression.evaluate_async(context), context.autoescape))


class _NovuOutput(Output):
    node_class = _NovuOutputNode


class NovuLiquidEnvironment(Environment):
    """python-liquid configured to print and filter as Novu's LiquidJS does."""

    loop_iteration_limit = MAX_LOOP_ITERATIONS
    local_namespace_limit = 1_000_000

    def __init__(self, *, max_output_chars: int) -> None:
        super().__init__(autoescape=False, strict_filters=True)
        self.max_output_chars = max_output_chars
        self.tags[_NovuOutput.name] = _NovuOutput(self)
        self.filters["json"] = single_quoted_json


def _line(source: str, index: int) -> int:
    return source.count("\n", 0, index if index >= 0 else len(source)) + 1


def _error_line(source: str, exc: LiquidError) -> int | None:
    token = getattr(exc, "token", None)
    index = getattr(token, "start_index", None)
    return _line(source, index) if isinstance(index, int) else None


def _message(exc: LiquidError) -> str:
    return str(getattr(exc, "message", None) or exc).splitlines()[0]


def novu_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """The render context with digest events as Novu's ``{payload: …}`` items."""
    out = dict(context)
    if callable(context.get("t")):
        out["t"] = TranslationKey(context["t"])
    step = context.get("step")
    if isinstance(step, Mapping) and isinstance(step.get("events"), list):
        events = [e if isinstance(e, Mapping) and set(e) >= {"payload"} else {"payload": e} for e in step["events"]]
        out["step"] = {**step, "events": events}
    return out


class LiquidTemplates:
    """Validates and renders Liquid templates; one per renderer, its compiled templates cached by source."""

    def __init__(self, *, max_output_chars: int, cache_size: int = 1024) -> None:
        # python-liquid reads its limits from class attributes: one subclass per configured cap.
        limits = {"output_stream_limit": max_output_chars}
        bounded = type("BoundedNovuLiquidEnvironment", (NovuLiquidEnvironment,), limits)
        self.env: NovuLiquidEnvironment = bounded(max_output_chars=max_output_chars)
        # Per instance, so the cache dies with the renderer (as the Jinja side's).
        self._compile = functools.lru_cache(maxsize=cache_size)(self.env.from_string)

    def validate(self, source: str, *, field: str, allowed_roots: Collection[str]) -> list[TemplateProblem]:
        try:
            template = self.env.from_string(source)
        except LiquidError as exc:
            return [TemplateProblem(field=field, line=_error_line(source, exc), message=_message(exc))]
        analysis = template.analyze()
        problems = [
            TemplateProblem(field=field, line=_line(source, variables[0].span.index),
                            message=f"unknown variable {name!r}; templates may read {', '.join(sorted(allowed_roots))}")
            for name, variables in analysis.globals.items() if name not in allowed_roots
        ]
        problems += [
            TemplateProblem(field=field, line=_line(source, spans[0].index), message=f"unknown filter {name!r}")
            for name, spans in analysis.filters.items() if name not in self.env.filters
        ]
        return sorted(problems, key=lambda p: (p.line or 0, p.message))

    def render(self, source: str, context: Mapping[str, Any]) -> str:
        try:
            return str(self._compile(source).render(**novu_context(context)))
        except LiquidError as exc:
            message = _message(exc)
            if isinstance(exc, OutputStreamLimitError):
                message = f"output is longer than {self.env.max_output_chars} characters"
            raise TemplateRenderError(message, line=_error_line(source, exc)) from exc
        except Exception as exc:  # a filter refusing its input is a problem of the template, as in Jinja
            raise TemplateRenderError(f"{type(exc).__name__}: {exc}") from exc
