"""The Jinja environments every Clarion template renders in.

Templates are written by users of an environment, so they run in Jinja's immutable sandbox: no
private attributes, no mutation of the context, calls checked. On top of the sandbox this module adds
what the sandbox leaves open for a notification service:

- an undefined type that is strict (printing, comparing or iterating a missing value fails and names
  it) yet chainable, so ``payload.a.b | default('n/a')`` and ``payload.a.b is defined`` work even when
  ``payload.a`` is missing;
- ``None`` prints as an empty string, because payloads from JavaScript callers are full of ``null``;
- ``*`` and ``**`` are intercepted, so ``'x' * 10**9`` or ``9**9**9`` cannot exhaust the worker;
- ``lipsum`` is removed from the globals: it builds unbounded text before the output cap can see it;
- ``+`` and ``%`` on strings, padding methods, format widths and the amplifying filters are bounded by
  the output cap (``templates.amplifiers``), and every loop, call and ``~`` ticks the render's budget
  (``templates.budget``), so a template stops itself when it runs too long.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import ChainableUndefined, StrictUndefined, Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from templates import amplifiers, budget

#: Top-level names a template may use. The caller builds the context with exactly these keys
#: (``t`` is the translator from `Translations.translator`, ``body`` only exists in layouts).
CONTEXT_ROOTS: frozenset[str] = frozenset(
    {"subscriber", "payload", "tenant", "actor", "step", "steps", "body", "t"}
)

# Largest integer result of ``**`` we allow, in bits; 2**4096 is far beyond any real use.
_MAX_POWER_BITS = 4096


class StrictChainableUndefined(ChainableUndefined, StrictUndefined):
    """Undefined that can be chained through attributes but fails as soon as it is used.

    The first missing name is the one reported, because chaining returns the same object.
    """

    __slots__ = ()


class SandboxEnvironment(ImmutableSandboxedEnvironment):
    """Immutable sandbox that also bounds sequence repetition and integer powers."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(
        self, *, autoescape: bool, max_repeat: int, filters: Mapping[str, Callable[..., Any]],
        undefined: type[Undefined] = StrictChainableUndefined,
    ) -> None:
        super().__init__(
            autoescape=autoescape,
            undefined=undefined,
            finalize=_none_as_empty,
            # Text channels (SMS, push, chat) are whitespace-sensitive: a block tag on its own line
            # should not leave a blank line behind.
            trim_blocks=True,
            lstrip_blocks=True,
            # Compiled templates are cached by TemplateRenderer; from_string never uses this cache.
            cache_size=0,
        )
        self.max_repeat = max_repeat
        self.filters.update(amplifiers.bounded_filters(max_repeat))
        self.filters.update(filters)
        self.globals.pop("lipsum", None)
        self.globals[budget.LOOP] = budget.loop
        self.globals[budget.TEXT] = budget.text

    def _generate(self, source: nodes.Template, name: str | None, filename: str | None,
                  defer_init: bool = False) -> str:
        # Jinja's documented hook between parsing and code generation: the budget's checks go into
        # the compiled code here, so templates, their AST checks and error lines stay as written.
        return super()._generate(budget.instrument(source), name, filename, defer_init)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Every call a template makes (functions, macros, methods) ticks the budget."""
        budget.tick()
        amplifiers.check_call(obj, args, kwargs, self.max_repeat)
        return super().call(context, obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            amplifiers.check_format(value.__self__, self.max_repeat)
        return wrapped

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Refuse ``*``, ``**``, ``+`` and ``%`` whose result would be huge; otherwise compute as usual."""
        if operator == "*":
            _check_repeat(left, right, self.max_repeat)
            _check_repeat(right, left, self.max_repeat)
        elif operator == "**" and _is_int(left) and _is_int(right) and _power_too_large(left, right):
            raise SecurityError(f"power {left!r} ** {right!r} is too large")
        elif operator == "+":
            amplifiers.check_sum(left, right, self.max_repeat)
        elif operator == "%":
            amplifiers.check_percent(left, self.max_repeat)
        return super().call_binop(context, operator, left, right)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _power_too_large(base: int, exponent: int) -> bool:
    return exponent > 0 and abs(base) > 1 and abs(base).bit_length() * exponent > _MAX_POWER_BITS


def _check_repeat(seq: Any, times: Any, limit: int) -> None:
    if isinstance(seq, str | list | tuple) and _is_int(times) and len(seq) * times > limit:
        raise SecurityError(f"repeating a sequence {times} times exceeds the output limit of {limit}")


def _none_as_empty(value: Any) -> Any:
    return "" if value is None else value


def make_environment(
    *, autoescape: bool, max_repeat: int, filters: Mapping[str, Callable[..., Any]],
    undefined: type[Undefined] = StrictChainableUndefined,
) -> SandboxEnvironment:
    """Build one sandboxed environment.

    Args:
        autoescape: True for HTML (email bodies and layouts), False for plain-text fields.
        max_repeat: Largest sequence ``*`` may produce, normally the renderer's output cap.
        filters: Extra filters added to Jinja's built-ins.
        undefined: How a missing value behaves; strict for notification templates.

    Returns:
        A new environment; build it once and reuse it.
    """
    return SandboxEnvironment(autoescape=autoescape, max_repeat=max_repeat, filters=filters, undefined=undefined)
