"""Translations: lookup order, placeholders, fallback and missing keys, alone and inside templates."""

import pytest

from templates import TemplateRenderer, Translations

MESSAGES = {
    "en": {"welcome": {"title": "Welcome, {name}!", "body": "Read the docs"}, "only_en": "english"},
    "de": {"welcome": {"title": "Willkommen, {{ name }}!", "body": "Lies die Doku"}, "count": 3},
    "de-AT": {"welcome": {"title": "Servus, {name}!"}},
    "fr": {"flags": True, "items": ["a"]},
}


@pytest.fixture(scope="module")
def translations() -> Translations:
    return Translations(MESSAGES, fallback_locale="en")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("de_AT", "Servus, Ada!"),  # exact, written with underscore
        ("de-at", "Servus, Ada!"),  # exact, other spelling
        ("de_CH", "Willkommen, Ada!"),  # language part
        ("de", "Willkommen, Ada!"),
        ("es", "Welcome, Ada!"),  # fallback
        (None, "Welcome, Ada!"),
    ],
)
def test_lookup_order(translations, locale, expected):
    assert translations.translator(locale)("welcome.title", name="Ada") == expected


def test_region_falls_back_per_key(translations):
    t = translations.translator("de-AT")
    assert t("welcome.body") == "Lies die Doku"
    assert t("only_en") == "english"


def test_missing_key_returns_key(translations):
    assert translations.translator("de")("no.such.key") == "no.such.key"
    assert translations.lookup("no.such.key", "de") is None


def test_unknown_placeholders_are_left_and_format_syntax_is_inert():
    t = Translations({"en": {"a": "{name} {missing} {name.__class__} {0}"}}).translator("en")
    assert t("a", name="Ada") == "Ada {missing} {name.__class__} {0}"


def test_non_string_leaves(translations):
    assert translations.lookup("count", "de") == "3"
    assert translations.lookup("flags", "fr") is None
    assert translations.lookup("items", "fr") is None


def test_fallback_locale_is_configurable():
    translations = Translations({"en": {"k": "en"}, "de": {"k": "de"}}, fallback_locale="de")
    assert translations.translator("fr")("k") == "de"


def test_locales_are_normalized(translations):
    assert translations.locales == frozenset({"en", "de", "de_at", "fr"})


def test_translator_inside_templates_is_escaped_in_html(translations):
    renderer = TemplateRenderer()
    context = {"subscriber": {"firstName": "<Ada>"}, "t": translations.translator("de")}
    source = "{{ t('welcome.title', name=subscriber.firstName) }}"
    assert renderer.render(source, context) == "Willkommen, <Ada>!"
    assert renderer.render(source, context, html=True) == "Willkommen, &lt;Ada&gt;!"
