"""The templates room's helpers for layouts and translations: locales, Novu's body tag, translator checks."""

from __future__ import annotations

import pytest

from templates import TemplateRenderer, Translations
from templates.layout import from_novu
from templates.translations import canonical_locale, message_count, message_problems


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("en", "en"), ("EN", "en"), ("en-us", "en_US"), ("en_US", "en_US"), (" pt-br ", "pt_BR"),
     ("zh-hant-tw", "zh_Hant_TW"), ("es-419", "es_419"), ("english", None), ("en-", None), ("", None),
     ("e", None), ("en_USA", None)],
)
def test_canonical_locale(raw, canonical):
    assert canonical_locale(raw) == canonical


def test_novu_triple_body_becomes_jinja():
    assert from_novu("<div>{{{body}}}</div><p>{{{ body }}}</p>") == "<div>{{ body }}</div><p>{{ body }}</p>"
    assert from_novu("{{{ other }}}") == "{{{ other }}}"


def test_layout_may_read_the_rendered_subject():
    renderer = TemplateRenderer()
    assert renderer.validate_layout("<title>{{ subject }}</title>{{ body }}") == []
    assert renderer.validate("{{ subject }}", field="x") != []  # a step template has no subject


@pytest.mark.parametrize(
    ("source", "problem"),
    [("{{ t }}", "call it as t('key')"), ("{{ t | upper }}", "call it as t('key')"),
     ("{{ t('a', 'b') }}", "takes one message key"), ("{{ t() }}", "takes one message key"),
     ("{{ t(*keys) }}", "takes one message key")],
)
def test_translator_misuse_is_reported(source, problem):
    problems = TemplateRenderer().validate(source, field="body")
    assert any(problem in p.message for p in problems), problems


def test_translator_used_well_or_shadowed_is_fine():
    renderer = TemplateRenderer()
    assert renderer.validate("{{ t('a.b', name=subscriber.firstName) }} {{ t(payload.key) }}", field="b") == []
    assert renderer.validate("{% set t = 'x' %}{{ t }}", field="b") == []


def test_null_variables_print_as_nothing():
    t = Translations({"en": {"hi": "Hi {name}!"}}).translator("en")
    assert t("hi", name=None) == "Hi !"


def test_document_checks():
    assert message_problems({"a": "x", "b": {"c": 1.5, "d": "y"}}) == []
    assert message_problems({"a": True, "b": {"c": [1]}, "": "x", "n": None}) == [
        ("a", "must be a string or a nested object of strings"),
        ("b.c", "must be a string or a nested object of strings"),
        ("(empty key)", "keys must not be empty"),
        ("n", "must be a string or a nested object of strings"),
    ]
    assert message_count({"a": "x", "b": {"c": "y", "d": {"e": 2}}}) == 3
