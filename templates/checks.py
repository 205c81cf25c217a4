"""Static checks on a parsed template, used when a template is saved.

Everything here works on the AST so that one save reports every problem with its line, instead of the
first error a render would hit. Jinja itself only refuses unknown filters at compile time outside
``if`` blocks, so filters and tests are checked here too.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from jinja2 import Environment, meta, nodes

from templates.errors import TemplateProblem


def _loaded_names(ast: nodes.Template) -> Iterator[nodes.Name]:
    for name in ast.find_all(nodes.Name):
        if name.ctx == "load":
            yield name


def first_line(ast: nodes.Template, variable: str) -> int | None:
    """Return the first line where ``variable`` is read, or None if it never is."""
    lines = [name.lineno for name in _loaded_names(ast) if name.name == variable]
    return min(lines) if lines else None


def references(ast: nodes.Template, variable: str) -> bool:
    """Tell whether the template reads ``variable`` anywhere."""
    return first_line(ast, variable) is not None


def unknown_variables(ast: nodes.Template, *, field: str, allowed: Collection[str]) -> list[TemplateProblem]:
    """Report top-level names the context will not provide (typos such as ``paylaod``).

    Names the template sets itself (``{% set %}``, loop variables, macros) and environment globals
    (``range``, ``namespace``) are not reported.
    """
    problems = []
    for variable in sorted(meta.find_undeclared_variables(ast) - set(allowed)):
        hint = ", ".join(sorted(allowed))
        problems.append(
            TemplateProblem(
                field=field,
                line=first_line(ast, variable),
                message=f"unknown variable {variable!r}; available: {hint}",
            )
        )
    return problems


def unknown_filters_and_tests(env: Environment, ast: nodes.Template, *, field: str) -> list[TemplateProblem]:
    """Report filters and tests the environment does not define, wherever they appear.

    Each reported node is renamed in place to a harmless built-in (``string`` / ``defined``): the
    variable analysis runs Jinja's code generator, which would stop at the first unknown name. Call
    this on a freshly parsed AST that is used for checking only.
    """
    problems = []
    for node in ast.find_all((nodes.Filter, nodes.Test)):
        is_filter = isinstance(node, nodes.Filter)
        known = env.filters if is_filter else env.tests
        if node.name not in known:
            kind = "filter" if is_filter else "test"
            message = f"unknown {kind} {node.name!r}"
            problems.append(TemplateProblem(field=field, line=node.lineno, message=message))
            node.name = "string" if is_filter else "defined"
    return problems


def unsupported_tags(ast: nodes.Template, *, field: str) -> list[TemplateProblem]:
    """Report ``extends``, ``include`` and ``import``: templates are stored text, with no loader."""
    problems = []
    for node in ast.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        tag = {"Extends": "extends", "Include": "include"}.get(type(node).__name__, "import")
        message = f"{{% {tag} %}} is not supported"
        problems.append(TemplateProblem(field=field, line=node.lineno, message=message))
    return problems


def private_attributes(ast: nodes.Template, *, field: str) -> list[TemplateProblem]:
    """Report ``x._private`` and ``x['__dunder__']``: the sandbox would refuse them at render time."""
    problems = []
    for node in ast.find_all(nodes.Getattr):
        if node.attr.startswith("_"):
            problems.append(_private(field, node.lineno, node.attr))
    for item in ast.find_all(nodes.Getitem):
        key = item.arg.value if isinstance(item.arg, nodes.Const) else None
        if isinstance(key, str) and key.startswith("_"):
            problems.append(_private(field, item.lineno, key))
    return problems


def _private(field: str, line: int, attr: str) -> TemplateProblem:
    return TemplateProblem(field=field, line=line, message=f"attribute {attr!r} is private and not allowed")


def translation_keys(ast: nodes.Template, *, function: str = "t") -> list[tuple[str, int]]:
    """Return ``(key, line)`` for every ``t('literal.key', ...)`` call; computed keys are skipped."""
    keys = []
    for call in ast.find_all(nodes.Call):
        if (
            isinstance(call.node, nodes.Name)
            and call.node.name == function
            and call.args
            and isinstance(call.args[0], nodes.Const)
            and isinstance(call.args[0].value, str)
        ):
            keys.append((call.args[0].value, call.lineno))
    return keys


def translator_misuse(ast: nodes.Template, *, field: str, function: str = "t") -> list[TemplateProblem]:
    """Report uses of the translator other than ``t('key', name=value)``.

    ``{{ t }}`` would print a function's repr, ``t()`` and ``t('a', 'b')`` fail only at send time; all
    three are caught when the template is saved. A template that assigns ``t`` itself is left alone.
    """
    if any(name.name == function and name.ctx != "load" for name in ast.find_all(nodes.Name)):
        return []
    called: set[int] = set()
    problems = []
    for call in ast.find_all(nodes.Call):
        if not (isinstance(call.node, nodes.Name) and call.node.name == function):
            continue
        called.add(id(call.node))
        if len(call.args) != 1 or call.dyn_args is not None:
            message = f"{function}() takes one message key, then variables by name: {function}('key', name=value)"
            problems.append(TemplateProblem(field=field, line=call.lineno, message=message))
    for name in _loaded_names(ast):
        if name.name == function and id(name) not in called:
            message = f"{function} is the translation function; call it as {function}('key')"
            problems.append(TemplateProblem(field=field, line=name.lineno, message=message))
    return problems
