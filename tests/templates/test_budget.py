"""Templates that cannot hurt the server: a hard budget per render, amplifiers refused, off the loop."""

from __future__ import annotations

import asyncio
import time

import pytest

from templates import TemplateRenderer, TemplateRenderError
from templates.budget import RenderBudgetExceeded

NESTED = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
RECURSIVE = "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}"
DOUBLING = "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"


@pytest.mark.parametrize("source", [NESTED, RECURSIVE])
def test_a_silent_runaway_stops_itself(source: str) -> None:
    renderer = TemplateRenderer(time_budget=0.2, max_operations=10**9)
    with pytest.raises(RenderBudgetExceeded, match=r"budget of 0\.2 s"):
        renderer.render(source, {})


def test_the_operation_count_stops_it_too() -> None:
    renderer = TemplateRenderer(time_budget=60, max_operations=10_000)
    with pytest.raises(RenderBudgetExceeded, match="10000 operations"):
        renderer.render(NESTED, {})


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{{ 'x'.ljust(999999999) }}", "ljust"),
        ("{{ 'x'.center(n) }}", "center"),
        ("{{ 'x'|center(n) }}", "width"),
        ("{{ 'x'|indent(n, true) }}", "width"),
        ("{{ '{:>999999999}'.format(1) }}", "format width"),
        ("{{ '{:{w}}'.format(1, w=5) }}", "literal number"),
        ("{{ '%999999999d' % 1 }}", "%-format"),
        ("{{ '%*d' % (5, 1) }}", "literal number"),
        ("{{ '%999999999d'|format(1) }}", "%-format"),
        ("{{ ('x' * 1000)|replace('', 'y' * 1000) }}", "replace"),
        ("{{ ('x' * 1000).replace('x', 'y' * 1000) }}", "replace"),
        ("{{ [1]|batch(999999999, 0)|list|length }}", "linecount"),
        ("{{ ('x' * 1000).join(['a'] * 1000) }}", "join"),
        ("{{ (['a'] * 1000)|join('x' * 1000) }}", "join"),
        (DOUBLING.replace("ns.s ~ ns.s", "ns.s + ns.s"), "sequences"),
        (DOUBLING, "longer than"),
        ("{{ 'x' * 999999999 }}", "repeating"),
    ],
)
def test_amplifiers_are_refused_before_they_allocate(source: str, reason: str) -> None:
    renderer = TemplateRenderer(max_output_chars=100_000)
    with pytest.raises(TemplateRenderError, match=reason):
        renderer.render(source, {"n": 10**9})


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'x'.ljust(999999999) }}",
        "{{ 'x'|center(999999999) }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{{ '%999999999d' % 1 }}",
        "{{ '%999999999d'|format(1) }}",
        "{{ [1]|batch(999999999) }}",
    ],
)
def test_literal_amplifiers_are_refused_when_saved(source: str) -> None:
    problems = TemplateRenderer().validate(source, field="body")
    assert problems and "limit" in problems[0].message


def test_ordinary_templates_still_render() -> None:
    source = ("Hi {{ payload.name }}{% for x in payload.things %} {{ x ~ '!' }}{% endfor %} {{ '%5d'|format(3) }}"
              " [{{ 'a'|center(5) }}] {{ payload.things|join(',') }} {{ '{:>4}'.format(7) }} {{ 'ab' + 'c' }}")
    out = TemplateRenderer().render(source, {"payload": {"name": "A", "things": [1, 2]}})
    assert out == "Hi A 1! 2!     3 [  a  ] 1,2    7 abc"


async def test_health_answers_while_a_hostile_template_renders(native_api) -> None:
    renderer = TemplateRenderer(time_budget=5.0, max_operations=10**9)
    render = asyncio.create_task(renderer.render_fields_off_loop({"body": NESTED}, {}, step="s"))
    await asyncio.sleep(0.05)  # the render is under way in its thread
    started = time.monotonic()
    response = await native_api.client.get("/health")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert not render.done(), "health must be answered while the render is still running"
    assert elapsed < 1.0  # generous: on the loop, the render would hold it for the whole 5 s
    with pytest.raises(RenderBudgetExceeded) as caught:
        await render
    assert caught.value.step == "s" or "budget" in str(caught.value)
