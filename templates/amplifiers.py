"""Operations whose output can dwarf their input, bounded before they run.

``'x'.ljust(10**9)``, ``'{:>999999999}'.format(1)``, ``'%999999999d' % 1``, ``s|center(10**9)``,
``''|replace('', y)`` or ``[1]|batch(10**9, 0)`` allocate their whole result inside one C call, where
neither the output cap nor the time budget can see them; each is checked here against the renderer's
output limit, at render time (`check_call`, `check_format`, `check_percent`, `BOUNDED_FILTERS`) and,
where the numbers are literals, when the template is saved (`literal_problems`).
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable
from typing import Any

from jinja2 import Environment, nodes
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.nodes import EvalContext

from templates.errors import TemplateProblem

_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
_WIDTH_FILTERS = frozenset({"center", "indent", "batch", "slice"})
_SPEC = re.compile(r"^(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?")
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _refuse_width(what: str, width: Any, limit: int) -> None:
    number = _int(width)
    if number is not None and number > limit:
        raise SecurityError(f"{what} with a width of {number} exceeds the output limit of {limit}")


def check_format(template: str, limit: int) -> None:
    """``str.format`` and ``format_map``: no width or precision above the limit, none computed."""
    for _, field, spec, _ in string.Formatter().parse(template):
        if field is None or not spec:
            continue
        if "{" in spec:
            raise SecurityError("a format width or precision must be a literal number")
        match = _SPEC.match(spec)
        for group in match.groups() if match else ():
            if group and int(group) > limit:
                raise SecurityError(f"a format width of {group} exceeds the output limit of {limit}")


def check_percent(template: Any, limit: int) -> None:
    """``'%10s' % x`` (Jinja's ``%`` on a string, and the ``format`` filter)."""
    if not isinstance(template, str):
        return
    for width, precision in _PERCENT.findall(template):
        for group in (width, precision):
            if group == "*":
                raise SecurityError("a %-format width must be a literal number")
            if group and int(group) > limit:
                raise SecurityError(f"a %-format width of {group} exceeds the output limit of {limit}")


def _replaced_size(text: str, old: Any, new: Any, count: Any = -1) -> int:
    if not isinstance(old, str) or not isinstance(new, str):
        return len(text)
    hits = len(text) + 1 if old == "" else text.count(old)
    if _int(count) is not None and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * (len(new) - len(old))


def _joined_size(separator: str, items: Any) -> int:
    if not isinstance(items, list | tuple):
        return 0
    return len(separator) * max(len(items) - 1, 0) + sum(len(i) for i in items if isinstance(i, str))


def check_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any], limit: int) -> None:
    """Methods of ``str`` that pad, repeat or join: refuse a result over the limit before it exists."""
    owner = getattr(obj, "__self__", None)
    if not isinstance(owner, str):
        return
    name = getattr(obj, "__name__", "")
    if name in _WIDTH_METHODS:
        _refuse_width(f"str.{name}", args[0] if args else kwargs.get("width", kwargs.get("tabsize")), limit)
        if name == "expandtabs":
            size = len(owner) * (_int(args[0] if args else kwargs.get("tabsize", 8)) or 8)
            if size > limit:
                raise SecurityError(f"str.expandtabs would produce {size} characters (limit {limit})")
    elif name == "replace" and len(args) >= 2 and _replaced_size(owner, *args[:3]) > limit:
        raise SecurityError(f"str.replace would produce more than {limit} characters")
    elif name == "join" and args and _joined_size(owner, args[0]) > limit:
        raise SecurityError(f"str.join would produce more than {limit} characters")


def check_sum(left: Any, right: Any, limit: int) -> None:
    """``+`` of two strings or lists."""
    sequences = isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple)
    if sequences and len(left) + len(right) > limit:
        raise SecurityError(f"joining two sequences would exceed the output limit of {limit}")


def _plain(args: tuple[Any, ...]) -> tuple[Any, ...]:
    # Some filters take Jinja's eval context or environment first (pass_eval_context).
    return args[1:] if args and isinstance(args[0], EvalContext | Environment) else args


def bounded_filters(limit: int) -> dict[str, Callable[..., Any]]:
    """Jinja's own filters that can amplify, each checked first and then run as usual."""

    def wrap(name: str, check: Callable[..., None]) -> Callable[..., Any]:
        original = FILTERS[name]

        @functools.wraps(original)  # keeps jinja_pass_arg (eval context / environment)
        def bounded(*args: Any, **kwargs: Any) -> Any:
            check(*_plain(args), **kwargs)
            return original(*args, **kwargs)

        return bounded

    def width(keyword: str) -> Callable[..., None]:
        def check(value: Any, *args: Any, **kwargs: Any) -> None:
            _refuse_width(f"a filter's {keyword}", args[0] if args else kwargs.get(keyword), limit)
        return check

    def replace_check(value: Any, old: Any = None, new: Any = None, count: Any = None) -> None:
        if isinstance(value, str) and _replaced_size(value, old, new, -1 if count is None else count) > limit:
            raise SecurityError(f"replace would produce more than {limit} characters")

    def format_check(value: Any, *args: Any, **kwargs: Any) -> None:
        check_percent(value, limit)

    def join_check(value: Any, d: Any = "", attribute: Any = None) -> None:
        measurable = isinstance(d, str) and isinstance(value, list | tuple)
        if measurable and _joined_size(d, [str(item) for item in value]) > limit:
            raise SecurityError(f"join would produce more than {limit} characters")

    filters = {name: wrap(name, width(keyword)) for name, keyword in
               (("center", "width"), ("indent", "width"), ("batch", "linecount"), ("slice", "slices"))}
    filters["replace"] = wrap("replace", replace_check)
    filters["format"] = wrap("format", format_check)
    filters["join"] = wrap("join", join_check)
    return filters


def literal_problems(ast: nodes.Template, *, field: str, limit: int) -> list[TemplateProblem]:
    """Amplifiers whose size is written in the template: refused when it is saved."""
    problems: list[TemplateProblem] = []

    def literal(node: nodes.Node | None) -> int | None:
        return _int(node.value) if isinstance(node, nodes.Const) else None

    for call in ast.find_all(nodes.Call):
        if isinstance(call.node, nodes.Getattr) and call.node.attr in _WIDTH_METHODS:
            width = literal(call.args[0]) if call.args else None
            if width is not None and width > limit:
                problems.append(TemplateProblem(field, call.lineno, f"{call.node.attr}({width}) exceeds the output "
                                                                    f"limit of {limit} characters"))
        if isinstance(call.node, nodes.Getattr) and call.node.attr in ("format", "format_map"):
            target = call.node.node
            if isinstance(target, nodes.Const) and isinstance(target.value, str):
                try:
                    check_format(target.value, limit)
                except (SecurityError, ValueError) as exc:
                    problems.append(TemplateProblem(field, call.lineno, str(exc)))
    for flt in ast.find_all(nodes.Filter):
        if flt.name in _WIDTH_FILTERS and flt.args:
            width = literal(flt.args[0])
            if width is not None and width > limit:
                problems.append(TemplateProblem(field, flt.lineno, f"{flt.name}({width}) exceeds the output "
                                                                   f"limit of {limit} characters"))
    for flt in ast.find_all(nodes.Filter):
        if flt.name == "format" and isinstance(flt.node, nodes.Const):
            try:
                check_percent(flt.node.value, limit)
            except SecurityError as exc:
                problems.append(TemplateProblem(field, flt.lineno, str(exc)))
    for binop in ast.find_all(nodes.Mod):
        target = binop.left
        if isinstance(target, nodes.Const) and isinstance(target.value, str):
            try:
                check_percent(target.value, limit)
            except SecurityError as exc:
                problems.append(TemplateProblem(field, binop.lineno, str(exc)))
    return problems
