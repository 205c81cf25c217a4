"""Email layouts: the body goes in once, unescaped in HTML mode; layouts must place the body."""

import pytest

from templates import TemplateRenderer, TemplateRenderError, default_layout


@pytest.fixture(scope="module")
def renderer() -> TemplateRenderer:
    return TemplateRenderer()


def test_body_is_embedded_without_double_escaping(renderer):
    context = {"payload": {"name": "A&B"}, "tenant": {"name": "Acme <Inc>"}}
    body = renderer.render("<p>Hello {{ payload.name }}</p>", context, html=True)
    assert body == "<p>Hello A&amp;B</p>"
    out = renderer.render_in_layout("<h1>{{ tenant.name }}</h1>{{ body }}", body, context)
    assert out == "<h1>Acme &lt;Inc&gt;</h1><p>Hello A&amp;B</p>"


def test_text_layout_inserts_body_verbatim(renderer):
    out = renderer.render_in_layout("--\n{{ body }}\n--", "a < b", {}, html=False)
    assert out == "--\na < b\n--"


def test_body_key_in_context_is_replaced(renderer):
    out = renderer.render_in_layout("{{ body }}", "<i>real</i>", {"body": "fake"})
    assert out == "<i>real</i>"


def test_layout_errors_are_render_errors(renderer):
    with pytest.raises(TemplateRenderError, match="'tenant' is undefined"):
        renderer.render_in_layout("{{ tenant.name }}{{ body }}", "x", {})


def test_layout_must_contain_body(renderer):
    [problem] = renderer.validate_layout("<html>{{ subscriber.email }}</html>", field="layouts.main")
    assert (problem.field, problem.message) == ("layouts.main", "layout must contain {{ body }}")
    assert renderer.validate_layout("<html>{{ body }}</html>") == []


def test_layout_syntax_error_is_the_only_problem(renderer):
    [problem] = renderer.validate_layout("<html>\n{% if %}</html>")
    assert problem.line == 2


def test_default_layout_is_valid_and_renders(renderer):
    source = default_layout()
    assert renderer.validate_layout(source) == []
    step_context = {"subscriber": {"firstName": "<Ada>"}}
    body = renderer.render("<p>Hi {{ subscriber.firstName }}</p>", step_context, html=True)
    context = {"subscriber": {"locale": "de_AT"}, "tenant": {"name": "Acme & Co"}}
    out = renderer.render_in_layout(source, body, context)
    assert out.startswith("<!DOCTYPE html>")
    assert '<html lang="de-AT">' in out
    assert "<p>Hi &lt;Ada&gt;</p>" in out
    assert "Acme &amp; Co" in out


def test_default_layout_renders_without_tenant_or_subscriber(renderer):
    out = renderer.render_in_layout(default_layout(), "<p>x</p>", {})
    assert '<html lang="en">' in out
    assert "<p>x</p>" in out
