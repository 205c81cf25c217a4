"""`TemplateRenderer`: validate templates when they are saved, render them when a step runs.

Build one renderer per process (the composition root does) and share it: it holds two sandboxed
environments, one escaping HTML for email bodies and layouts and one for plain-text fields (subjects,
SMS, push, chat, in-app), plus an LRU cache of compiled templates, because a batch renders the same
few templates thousands of times.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Collection, Mapping
from types import TracebackType
from typing import Any, Literal

from jinja2 import Template, TemplateError, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError
from markupsafe import Markup

from templates import amplifiers, budget, checks
from templates.environment import CONTEXT_ROOTS, SandboxEnvironment, make_environment
from templates.errors import TemplateProblem, TemplateRenderError
from templates.filters import SAFE_FILTERS
from templates.layout import BODY, LAYOUT_EXTRA_ROOTS
from templates.liquid import LiquidTemplates
from templates.translations import Translations


def _template_line(tb: TracebackType | None) -> int | None:
    # Jinja rewrites tracebacks so that frames of template code carry the template's own line
    # numbers under the filename "<template>"; the innermost such frame is where it failed.
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _syntax_problem(field: str, exc: TemplateSyntaxError) -> TemplateProblem:
    return TemplateProblem(field=field, line=exc.lineno, message=exc.message or str(exc))


def _as_render_error(exc: Exception) -> TemplateRenderError:
    if isinstance(exc, TemplateSyntaxError):
        return TemplateRenderError(exc.message or str(exc), line=exc.lineno)
    line = _template_line(exc.__traceback__)
    if isinstance(exc, SecurityError):
        return TemplateRenderError(f"not allowed: {exc}", line=line)
    if isinstance(exc, TemplateError):
        return TemplateRenderError(exc.message or str(exc), line=line)
    return TemplateRenderError(f"{type(exc).__name__}: {exc}", line=line)


#: The template languages a step may be written in: Clarion's Jinja, or Novu's Liquid (``templates.liquid``).
Syntax = Literal["jinja", "liquid"]


class TemplateRenderer:
    """Validates and renders user templates in Jinja's sandbox.

    Args:
        max_output_chars: Largest output one render may produce; larger output is an error.
        cache_size: How many compiled templates to keep (per source text and escaping mode).
        time_budget: Seconds one render may run before it stops itself (``templates.budget``).
        max_operations: Loop iterations, calls and concatenations one render may make.
    """

    def __init__(
        self, *, max_output_chars: int = 256_000, cache_size: int = 1024, time_budget: float = 2.0,
        max_operations: int = 2_000_000,
    ) -> None:
        self.max_output_chars = max_output_chars
        self.time_budget = time_budget
        self.max_operations = max_operations
        self._envs = {
            html: make_environment(autoescape=html, max_repeat=max_output_chars, filters=SAFE_FILTERS)
            for html in (False, True)
        }
        # Per instance (not functools.cache on the method) so the cache dies with the renderer.
        self._compile = functools.lru_cache(maxsize=cache_size)(self._compile_uncached)
        self.liquid = LiquidTemplates(max_output_chars=max_output_chars, cache_size=cache_size)

    def environment(self, *, html: bool) -> SandboxEnvironment:
        """Return the environment used for HTML (``html=True``) or plain-text templates."""
        return self._envs[html]

    def _compile_uncached(self, source: str, html: bool) -> Template:
        return self._envs[html].from_string(source)

    def validate(
        self,
        source: str,
        *,
        field: str,
        allowed_roots: Collection[str] = CONTEXT_ROOTS,
        translations: Translations | None = None,
        syntax: Syntax = "jinja",
    ) -> list[TemplateProblem]:
        """Check a template without rendering it; call this when a workflow step is saved.

        Args:
            source: The template text.
            field: Where the template lives, copied into each problem (``"steps[1].subject"``).
            allowed_roots: Top-level names the render context will provide.
            translations: If given, literal ``t('key')`` keys missing from the fallback locale are
                reported too.

        Returns:
            Problems sorted by line; empty when the template is fine. A syntax error stops the
            check, so it is then the only problem.
        """
        if syntax == "liquid":
            return self.liquid.validate(source, field=field, allowed_roots=allowed_roots)
        try:
            ast = self._envs[False].parse(source)
        except TemplateSyntaxError as exc:
            return [_syntax_problem(field, exc)]
        return self._check(ast, source, field=field, allowed_roots=allowed_roots, translations=translations)

    def validate_layout(
        self,
        source: str,
        *,
        field: str = "layout",
        allowed_roots: Collection[str] = CONTEXT_ROOTS | LAYOUT_EXTRA_ROOTS,
        syntax: Syntax = "jinja",
    ) -> list[TemplateProblem]:
        """Validate an email layout: a template that must also read ``{{ body }}``.

        Args:
            source: The layout's HTML template text.
            field: Where the layout lives, copied into each problem.
            allowed_roots: Top-level names the render context will provide (must include ``body``).

        Returns:
            Problems sorted by line; empty when the layout is fine.
        """
        if syntax == "liquid":
            problems = self.liquid.validate(source, field=field, allowed_roots=allowed_roots)
            if not problems and BODY not in self.liquid.env.from_string(source).analyze().globals:
                problems.append(TemplateProblem(field=field, line=None, message="layout must contain {{ body }}"))
            return problems
        try:
            ast = self._envs[True].parse(source)
        except TemplateSyntaxError as exc:
            return [_syntax_problem(field, exc)]
        problems = self._check(ast, source, field=field, allowed_roots=allowed_roots, translations=None)
        if not checks.references(ast, BODY):
            problems.append(TemplateProblem(field=field, line=None, message="layout must contain {{ body }}"))
        return problems

    def _check(
        self,
        ast: nodes.Template,
        source: str,
        *,
        field: str,
        allowed_roots: Collection[str],
        translations: Translations | None,
    ) -> list[TemplateProblem]:
        env = self._envs[False]
        problems = checks.unknown_filters_and_tests(env, ast, field=field)
        problems += checks.unsupported_tags(ast, field=field)
        problems += checks.private_attributes(ast, field=field)
        problems += amplifiers.literal_problems(ast, field=field, limit=self.max_output_chars)
        if "t" in allowed_roots:
            problems += checks.translator_misuse(ast, field=field)
        try:
            problems += checks.unknown_variables(ast, field=field, allowed=allowed_roots)
        except TemplateSyntaxError as exc:  # the code generator's own checks, e.g. a block defined twice
            problems.append(_syntax_problem(field, exc))
        if translations is not None:
            problems += [
                TemplateProblem(field=field, line=line, message=f"missing translation {key!r}")
                for key, line in checks.translation_keys(ast)
                if translations.lookup(key) is None
            ]
        if not problems:
            # The code generator has a few checks of its own (TemplateAssertionError) that the AST
            # checks above do not repeat.
            try:
                env.compile(source)
            except TemplateSyntaxError as exc:
                problems.append(_syntax_problem(field, exc))
        return sorted(problems, key=lambda p: (p.line or 0, p.message))

    def render(
        self, source: str, context: Mapping[str, Any], *, html: bool = False, syntax: Syntax = "jinja"
    ) -> str:
        """Render a template.

        Args:
            source: The template text.
            context: Plain data (dicts, lists, strings, numbers) under the `CONTEXT_ROOTS` names;
                never ORM objects, whose methods the template could call.
            html: True escapes values for HTML (email bodies); False leaves text as is. Liquid never
                escapes, as in Novu.
            syntax: The template language.

        Returns:
            The rendered text.

        Raises:
            TemplateRenderError: Syntax error, undefined value, sandbox refusal, a filter rejecting
                its input, or output longer than ``max_output_chars``.
        """
        try:
            with budget.budget(self.time_budget, max_ops=self.max_operations,
                               max_chars=self.max_output_chars):
                if syntax == "liquid":
                    # python-liquid bounds itself (loop iterations, output, namespace size).
                    return self.liquid.render(source, context)
                return self._render(source, context, html)
        except TemplateRenderError:
            raise
        except Exception as exc:
            # Whatever fails inside a user template is a problem of that template (bad input to a
            # filter, division by zero, ...): report it as one typed, permanent error.
            raise _as_render_error(exc) from exc

    def _render(self, source: str, context: Mapping[str, Any], html: bool) -> str:
        limit = self.max_output_chars
        parts: list[str] = []
        size = 0
        template = self._compile(source, html)
        # Stream so that a runaway loop stops at the cap instead of filling memory first.
        for chunk in template.generate(context):
            size += len(chunk)
            if size > limit:
                raise TemplateRenderError(f"output is longer than {limit} characters")
            parts.append(chunk)
        return "".join(parts)

    def render_in_layout(
        self, layout_source: str, body_html: str, context: Mapping[str, Any], *, html: bool = True,
        syntax: Syntax = "jinja",
    ) -> str:
        """Render a layout around an already rendered step body.

        Args:
            layout_source: The layout template; it reads ``{{ body }}``.
            body_html: Output of `render` for the step body. In HTML mode it is trusted and inserted
                without escaping it a second time.
            context: The same context the body was rendered with; its ``body`` key is replaced.
            html: Escape the layout's other values for HTML.

        Returns:
            The full document.

        Raises:
            TemplateRenderError: As for `render`.
        """
        body = Markup(body_html) if html and syntax == "jinja" else body_html
        return self.render(layout_source, {**context, BODY: body}, html=html, syntax=syntax)

    def render_fields(
        self,
        fields: Mapping[str, str],
        context: Mapping[str, Any],
        *,
        html_fields: Collection[str] = (),
        step: str | None = None,
        syntax: Syntax = "jinja",
    ) -> dict[str, str]:
        """Render several fields of one step (``subject``, ``body``, ``content``, ...).

        Args:
            fields: Field name to template source.
            context: The render context shared by all fields.
            html_fields: Names of fields rendered with HTML escaping.
            step: The step identifier, used in error messages.

        Returns:
            Field name to rendered text, in the order given.

        Raises:
            TemplateRenderError: For the first failing field, naming the step and field.
        """
        rendered = {}
        for name, source in fields.items():
            try:
                rendered[name] = self.render(source, context, html=name in html_fields, syntax=syntax)
            except TemplateRenderError as exc:
                raise exc.located(field=name, step=step) from exc
        return rendered

    async def render_fields_off_loop(
        self,
        fields: Mapping[str, str],
        context: Mapping[str, Any],
        *,
        html_fields: Collection[str] = (),
        step: str | None = None,
    ) -> dict[str, str]:
        """`render_fields` in a worker thread, so the event loop (API, heartbeats) keeps answering
        while a template renders; the budget still stops the render itself."""
        return await asyncio.to_thread(self.render_fields, fields, context, html_fields=html_fields, step=step)
