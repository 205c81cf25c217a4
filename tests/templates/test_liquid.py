"""Liquid steps render byte for byte as Novu (LiquidJS) renders them.

The expected strings are LiquidJS's output for the same template and data, as Novu renders a step:
its output escape prints objects and arrays as single-quoted JSON, a missing value prints nothing
(so ``default`` applies), dates format in UTC (Novu's servers), numbers print as JavaScript does.
"""

from __future__ import annotations

from typing import Any

import pytest

from templates import TemplateRenderer, TemplateRenderError, Translations

CONTEXT: dict[str, Any] = {
    "subscriber": {"firstName": "Ada", "lastName": "LOVELACE", "email": "ada@example.test"},
    "payload": {
        "name": "ada LOVELACE", "nothing": "", "off": False, "zero": 0, "n": 3.0, "price": 9.5,
        "tags": ["math", "engines", "poetry"], "when": "2026-01-15T10:30:00Z", "order": {"id": "A-1", "qty": 2.0},
        "note": "line1\nline2",
    },
    "step": {"events": [{"item": "x", "n": 1}, {"item": "y", "n": 2}], "total_count": 2, "digest_key": "post"},
}

CASES = [
    ("Hello {{ subscriber.firstName }}!", "Hello Ada!"),
    ("{{payload.order.id}}", "A-1"),
    ("{{ payload.missing | default: 'n/a' }}", "n/a"),
    ("{{ payload.nothing | default: 'none' }}|{{ payload.off | default: 'no' }}|{{ payload.zero | default: 5 }}",
     "none|no|0"),
    ("{{ payload.name | default: 'x' }}", "ada LOVELACE"),
    ("{{ payload.name | upcase }}", "ADA LOVELACE"),
    ("{{ payload.name | downcase }}", "ada lovelace"),
    ("{{ payload.name | capitalize }}", "Ada lovelace"),
    ("{{ subscriber.lastName | downcase | capitalize }}", "Lovelace"),
    ("{{ payload.when | date: '%Y-%m-%d' }}", "2026-01-15"),
    ("{{ payload.when | date: '%b %d, %Y' }}", "Jan 15, 2026"),
    ("{{ payload.when | date: '%A %H:%M' }}", "Thursday 10:30"),
    ("{{ payload.tags | size }} {{ payload.name | size }} {{ step.events | size }}", "3 12 2"),
    ("{{ payload.tags | join: ', ' }}", "math, engines, poetry"),
    ("{{ payload.tags | join }}", "math engines poetry"),
    ("{% if subscriber.firstName %}Hi {{ subscriber.firstName }}{% else %}Hi there{% endif %}", "Hi Ada"),
    ("{% if payload.missing %}yes{% else %}no{% endif %}", "no"),
    ("{% if payload.tags.size > 2 %}many{% elsif payload.tags.size > 0 %}some{% else %}none{% endif %}", "many"),
    ("{% for e in step.events %}{{ forloop.index }}. {{ e.payload.item }}{% unless forloop.last %}, {% endunless %}"
     "{% endfor %}", "1. x, 2. y"),
    ("{{ step.total_count }} new ({{ step.digest_key }})", "2 new (post)"),
    ("{{ payload.n }} {{ payload.price }} {{ payload.order.qty | times: 2 }}", "3 9.5 4"),
    ("{{ payload.order }}", "{'id':'A-1','qty':2}"),
    ("{{ payload.tags }}", "['math','engines','poetry']"),
    ("{{ payload.order | json }}", "{'id':'A-1','qty':2}"),
    ("{{ payload.off }} {{ payload.missing }}.", "false ."),
    ("<b>{{ payload.name }}</b> & {{ '<i>' }}", "<b>ada LOVELACE</b> & <i>"),
]


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_renders_as_novu(source: str, expected: str) -> None:
    assert TemplateRenderer().render(source, CONTEXT, syntax="liquid") == expected


def test_email_bodies_are_not_escaped_as_in_novu_unless_asked() -> None:
    renderer = TemplateRenderer()
    context = {"payload": {"x": "<script>"}}
    assert renderer.render("{{ payload.x }}", context, html=True, syntax="liquid") == "<script>"
    assert renderer.render("{{ payload.x | escape }}", context, html=True, syntax="liquid") == "&lt;script&gt;"


def test_translations_read_as_in_novu() -> None:
    t = Translations({"en": {"welcome": {"title": "Welcome aboard"}}}).translator("en")
    out = TemplateRenderer().render("{{ t.welcome.title | upcase }}/{{ t.welcome.title }}", {"t": t}, syntax="liquid")
    assert out == "WELCOME ABOARD/Welcome aboard"


def test_python_internals_are_out_of_reach() -> None:
    out = TemplateRenderer().render("[{{ payload.__class__ }}{{ payload.items }}{{ payload.keys }}]",
                                    {"payload": {"a": 1}}, syntax="liquid")
    assert out == "[]"


def test_output_and_loops_are_bounded() -> None:
    renderer = TemplateRenderer(max_output_chars=1000)
    with pytest.raises(TemplateRenderError, match="longer than 1000"):
        renderer.render("{% for i in (1..500) %}xxxxxxxxxx{% endfor %}", {}, syntax="liquid")
    with pytest.raises(TemplateRenderError, match="loop"):
        TemplateRenderer().render("{% for i in (1..1000000) %}{% endfor %}", {}, syntax="liquid")


def test_save_time_check_names_field_and_line() -> None:
    renderer = TemplateRenderer()
    problems = renderer.validate("Hi {{ subscriber.firstName }}\n{{ paylod.x }}\n{{ payload.y | upcase | nope }}",
                                 field="steps[0].controlValues.body", syntax="liquid")
    assert {p.field for p in problems} == {"steps[0].controlValues.body"}
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [
        (2, "unknown variable 'paylod'"), (3, "unknown filter 'nope'")
    ]
    syntax = renderer.validate("line 1\n{% if payload.x %}\nno end", field="body", syntax="liquid")
    assert len(syntax) == 1 and syntax[0].line == 3 and "endif" in syntax[0].message
    assert renderer.validate("{{ payload.x | default: 'a' }}{% for e in step.events %}{{ e.payload.y }}{% endfor %}",
                             field="body", syntax="liquid") == []
    # The same text in Jinja is a different language: Liquid's filter arguments do not parse there.
    assert renderer.validate("{{ payload.x | default: 'a' }}", field="body") != []
