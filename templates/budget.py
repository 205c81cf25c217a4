"""A hard budget per render: time and operations, checked inside the template's own work.

A thread cannot be stopped from outside, so the template stops itself: every loop iteration, every
call and every string concatenation of a compiled template passes through ``tick`` (the loops and
``~`` because `BudgetedCodegen` wraps them when a template is compiled, calls because the sandbox
routes them all through ``SandboxEnvironment.call``). A render that outlives its deadline or its
operation count fails there with `RenderBudgetExceeded`, a permanent, explained error; a nested loop
that prints nothing can no longer keep a worker busy for seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from jinja2 import nodes

from templates.errors import TemplateRenderError

LOOP = "clarion_budget_loop"
TEXT = "clarion_budget_text"
# time.monotonic() is cheap, but a tick runs for every iteration: look at the clock every 256.
_CLOCK_EVERY = 0xFF


class RenderBudgetExceeded(TemplateRenderError):
    """The render used up its time or operation budget."""


@dataclass
class Budget:
    seconds: float
    max_ops: int
    max_chars: int
    deadline: float = 0.0
    ops: int = 0

    def tick(self) -> None:
        self.ops += 1
        if self.ops > self.max_ops:
            raise RenderBudgetExceeded(f"the template did more than {self.max_ops} operations (loops, calls)")
        if not self.ops & _CLOCK_EVERY and time.monotonic() > self.deadline:
            raise RenderBudgetExceeded(f"the template ran longer than its budget of {self.seconds:g} s")


_CURRENT: ContextVar[Budget | None] = ContextVar("clarion_render_budget", default=None)


@contextmanager
def budget(seconds: float, *, max_ops: int, max_chars: int) -> Iterator[Budget]:
    """Run the renders inside under one budget (per thread/task: a context variable)."""
    current = Budget(seconds=seconds, max_ops=max_ops, max_chars=max_chars, deadline=time.monotonic() + seconds)
    token = _CURRENT.set(current)
    try:
        yield current
    finally:
        _CURRENT.reset(token)


def tick() -> None:
    current = _CURRENT.get()
    if current is not None:
        current.tick()


def loop(iterable: Iterable[object]) -> Iterator[object]:
    """The iterable of a ``{% for %}``, one tick per item."""
    for item in iterable:
        tick()
        yield item


def text(value: str) -> str:
    """The result of ``a ~ b``; refused when longer than the output cap (doubling in a loop)."""
    tick()
    current = _CURRENT.get()
    if current is not None and len(value) > current.max_chars:
        raise RenderBudgetExceeded(f"a string built by the template is longer than {current.max_chars} characters")
    return value


def instrument(ast: nodes.Template) -> nodes.Template:
    """Wrap every loop's iterable and every ``~`` of a parsed template in the budget's checks."""
    for node in ast.find_all(nodes.For):
        node.iter = nodes.Call(nodes.Name(LOOP, "load"), [node.iter], [], None, None, lineno=node.lineno)
    for parent in list(ast.find_all(nodes.Node)):
        for field in parent.fields:
            value = getattr(parent, field, None)
            if isinstance(value, nodes.Concat):
                setattr(parent, field, _wrap_text(value))
            elif isinstance(value, list):
                setattr(parent, field, [_wrap_text(v) if isinstance(v, nodes.Concat) else v for v in value])
    return ast


def _wrap_text(node: nodes.Concat) -> nodes.Call:
    return nodes.Call(nodes.Name(TEXT, "load"), [node], [], None, None, lineno=node.lineno)
