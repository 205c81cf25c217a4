"""Save-time validation: every problem carries the caller's field name and the template line."""

import pytest

from templates import CONTEXT_ROOTS, TemplateProblem, TemplateRenderer, Translations


@pytest.fixture(scope="module")
def renderer() -> TemplateRenderer:
    return TemplateRenderer()


def test_valid_template_has_no_problems(renderer):
    source = (
        "Hi {{ subscriber.firstName }},\n"
        "{% for item in payload.items %}{{ loop.index }}. {{ item.name | upper }}\n{% endfor %}"
        "{% set total = payload.items | length %}{{ total }} {{ tenant.name | default('') }}"
        "{{ actor.name | default('') }}{{ step.digest.events | default([]) | length }}"
        "{{ steps | length }}{{ t('welcome.title') }}{{ range(3) | list }}"
    )
    assert renderer.validate(source, field="steps[0].content") == []


def test_syntax_error_reports_its_line(renderer):
    problems = renderer.validate("Hello\n\n{% if payload.x %}\nno end", field="steps[1].subject")
    assert len(problems) == 1
    assert problems[0].field == "steps[1].subject"
    assert problems[0].line == 4
    assert "endif" in problems[0].message


def test_unclosed_expression_reports_its_line(renderer):
    [problem] = renderer.validate("a\nb\n{{ payload.x }", field="f")
    assert problem.line == 3


def test_unknown_variable_is_named_with_first_line(renderer):
    problems = renderer.validate("line one\n\n{{ paylaod.name }}\n{{ paylaod.other }}", field="content")
    assert problems == [
        TemplateProblem(
            field="content",
            line=3,
            message="unknown variable 'paylaod'; available: " + ", ".join(sorted(CONTEXT_ROOTS)),
        )
    ]


def test_names_the_template_defines_are_not_unknown(renderer):
    source = "{% set greeting = 'hi' %}{{ greeting }}{% for x in payload.xs %}{{ x }}{% endfor %}"
    assert renderer.validate(source, field="f") == []


def test_allowed_roots_can_be_narrowed(renderer):
    problems = renderer.validate("{{ payload.a }}\n{{ tenant.b }}", field="f", allowed_roots={"payload"})
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [(2, "unknown variable 'tenant'")]


def test_unknown_filter_and_test_are_reported_even_inside_if(renderer):
    source = (
        "{{ payload.x | shout }}\n{% if payload.y %}{{ payload.y | whisper }}{% endif %}\n{{ 1 is odd_ish }}"
    )
    problems = renderer.validate(source, field="f")
    assert [(p.line, p.message) for p in problems] == [
        (1, "unknown filter 'shout'"),
        (2, "unknown filter 'whisper'"),
        (3, "unknown test 'odd_ish'"),
    ]


def test_unknown_filter_does_not_hide_unknown_variable(renderer):
    problems = renderer.validate("{{ nope | shout }}", field="f")
    messages = {p.message.split(";")[0] for p in problems}
    assert messages == {"unknown filter 'shout'", "unknown variable 'nope'"}


def test_private_attribute_access_is_reported(renderer):
    problems = renderer.validate("{{ payload.__class__ }}\n{{ payload['_secret'] }}", field="f")
    assert [(p.line, p.message) for p in problems] == [
        (1, "attribute '__class__' is private and not allowed"),
        (2, "attribute '_secret' is private and not allowed"),
    ]


def test_include_and_extends_are_refused(renderer):
    problems = renderer.validate("{% include 'x.html' %}\n{% extends 'base.html' %}", field="f")
    assert {(p.line, p.message) for p in problems} == {
        (1, "{% include %} is not supported"),
        (2, "{% extends %} is not supported"),
    }


def test_lipsum_global_is_not_available(renderer):
    [problem] = renderer.validate("{{ lipsum(1000) }}", field="f")
    assert problem.message.startswith("unknown variable 'lipsum'")


def test_missing_translation_keys_are_reported_when_translations_given(renderer):
    translations = Translations({"en": {"welcome": {"title": "Welcome"}}})
    source = "{{ t('welcome.title') }}\n{{ t('welcome.body') }}"
    assert renderer.validate(source, field="f") == []
    assert renderer.validate(source, field="f", translations=translations) == [
        TemplateProblem(field="f", line=2, message="missing translation 'welcome.body'")
    ]


def test_problem_str_names_field_and_line():
    problem = TemplateProblem(field="steps[1].subject", line=3, message="bad")
    assert str(problem) == "steps[1].subject line 3: bad"
    assert str(TemplateProblem(field="layout", line=None, message="bad")) == "layout: bad"
