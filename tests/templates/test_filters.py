"""Clarion's extra filters, called through templates as authors use them."""

from datetime import UTC, date, datetime

import pytest

from templates import TemplateRenderer, TemplateRenderError


@pytest.fixture(scope="module")
def renderer() -> TemplateRenderer:
    return TemplateRenderer()


def render(renderer: TemplateRenderer, source: str, **payload: object) -> str:
    return renderer.render(source, {"payload": payload})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05T14:07:00Z", "2024-03-05 14:07"),
        ("2024-03-05T14:07:00+02:00", "2024-03-05 14:07"),
        (1709647620, "2024-03-05 14:07"),
        (1709647620000, "2024-03-05 14:07"),  # JavaScript milliseconds
        (1709647620.5, "2024-03-05 14:07"),
        (datetime(2024, 3, 5, 14, 7, tzinfo=UTC), "2024-03-05 14:07"),
    ],
)
def test_datetime_accepts_iso_epoch_and_datetime(renderer, value, expected):
    assert render(renderer, "{{ payload.at | datetime }}", at=value) == expected


def test_date_default_pattern_and_custom_pattern(renderer):
    assert render(renderer, "{{ payload.at | date }}", at="2024-03-05T14:07:00Z") == "2024-03-05"
    assert render(renderer, "{{ payload.at | date('%d %b %Y') }}", at="2024-03-05") == "05 Mar 2024"
    assert render(renderer, "{{ payload.at | date('%d/%m') }}", at=date(2024, 3, 5)) == "05/03"


def test_datetime_converts_to_a_time_zone(renderer):
    source = "{{ payload.at | datetime('%H:%M %Z', tz='Europe/Berlin') }}"
    assert render(renderer, source, at="2024-07-01T10:00:00Z") == "12:00 CEST"
    assert render(renderer, source, at="2024-07-01T10:00:00") == "12:00 CEST"  # naive is UTC


def test_date_only_values_are_not_shifted_by_tz(renderer):
    assert render(renderer, "{{ payload.d | date(tz='America/New_York') }}", d="2024-03-05") == "2024-03-05"


@pytest.mark.parametrize("value", ["not a date", True, [1, 2]])
def test_datetime_rejects_other_values(renderer, value):
    with pytest.raises(TemplateRenderError):
        render(renderer, "{{ payload.at | datetime }}", at=value)


def test_date_of_missing_value_names_it(renderer):
    with pytest.raises(TemplateRenderError, match="'at'"):
        render(renderer, "{{ payload.at | date }}")


@pytest.mark.parametrize(
    ("source", "amount", "expected"),
    [
        ("{{ payload.a | currency }}", 1234.5, "$1,234.50"),
        ("{{ payload.a | currency('eur') }}", "3", "€3.00"),
        ("{{ payload.a | currency('JPY') }}", 1234.5, "¥1,235"),
        ("{{ payload.a | currency('CHF') }}", 12, "12.00 CHF"),
        ("{{ payload.a | currency('USD', 0) }}", 0.5, "$1"),
        ("{{ payload.a | currency }}", -2.005, "-$2.01"),
        ("{{ payload.a | currency }}", 0, "$0.00"),
    ],
)
def test_currency(renderer, source, amount, expected):
    assert render(renderer, source, a=amount) == expected


@pytest.mark.parametrize("amount", ["abc", True])
def test_currency_rejects_non_numbers(renderer, amount):
    with pytest.raises(TemplateRenderError):
        render(renderer, "{{ payload.a | currency }}", a=amount)


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, "0 items, 0 classes, 0 parties"),
        (1, "1 item, 1 class, 1 party"),
        (2, "2 items, 2 classes, 2 parties"),
    ],
)
def test_pluralize(renderer, count, expected):
    source = (
        "{{ payload.n }} item{{ payload.n | pluralize }}, "
        "{{ payload.n }} class{{ payload.n | pluralize('es') }}, "
        "{{ payload.n }} part{{ payload.n | pluralize('y,ies') }}"
    )
    assert render(renderer, source, n=count) == expected


def test_pluralize_by_length_and_numeric_string(renderer):
    assert render(renderer, "event{{ payload.events | pluralize }}", events=[1]) == "event"
    assert render(renderer, "event{{ payload.events | pluralize }}", events=[1, 2]) == "events"
    assert render(renderer, "event{{ payload.n | pluralize }}", n="1") == "event"


def test_json_is_plain_in_text_and_escaped_in_html(renderer):
    data = {"name": "Zoë <admin>", "n": [1, 2]}
    assert render(renderer, "{{ payload.d | json }}", d=data) == '{"name": "Zoë <admin>", "n": [1, 2]}'
    html = renderer.render("{{ payload.d | json }}", {"payload": {"d": data}}, html=True)
    assert "&lt;admin&gt;" in html
    assert render(renderer, "{{ payload.d | json(2) }}", d={"a": 1}) == '{\n  "a": 1\n}'


def test_builtin_truncate_and_tojson_remain(renderer):
    assert render(renderer, "{{ payload.s | truncate(9) }}", s="hello wonderful world") == "hello..."
    assert render(renderer, "{{ payload.s | tojson }}", s="<") == '"\\u003c"'
