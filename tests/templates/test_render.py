"""Rendering: escaping per mode, strict undefined, the sandbox and the output cap."""

import pickle

import pytest

from templates import TemplateRenderer, TemplateRenderError


@pytest.fixture(scope="module")
def renderer() -> TemplateRenderer:
    return TemplateRenderer(max_output_chars=1_000)


def test_renders_context(renderer):
    context = {"subscriber": {"firstName": "Ada"}, "payload": {"count": 3}}
    out = renderer.render("Hi {{ subscriber.firstName }}, {{ payload.count }} new", context)
    assert out == "Hi Ada, 3 new"


def test_html_mode_escapes_values(renderer):
    context = {"payload": {"name": "<script>alert(1)</script>"}}
    out = renderer.render("<p>{{ payload.name }}</p>", context, html=True)
    assert out == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_text_mode_does_not_escape(renderer):
    context = {"payload": {"name": "Tom & Jerry <3"}}
    assert renderer.render("{{ payload.name }}", context) == "Tom & Jerry <3"


def test_none_renders_as_empty_string(renderer):
    assert renderer.render("[{{ payload.middle }}]", {"payload": {"middle": None}}) == "[]"


def test_block_tags_leave_no_blank_lines(renderer):
    source = "a\n{% if payload.x %}\nb\n{% endif %}\nc"
    assert renderer.render(source, {"payload": {"x": True}}) == "a\nb\nc"


def test_undefined_attribute_raises_with_name_and_line(renderer):
    with pytest.raises(TemplateRenderError) as info:
        renderer.render("Hello\n{{ payload.name }}", {"payload": {}})
    assert "'name'" in info.value.message
    assert info.value.line == 2


def test_undefined_top_level_name_raises(renderer):
    with pytest.raises(TemplateRenderError, match="'tenant' is undefined"):
        renderer.render("{{ tenant.name }}", {})


def test_undefined_in_condition_raises(renderer):
    # Strict: a bare truth test of a missing value is a template bug, use "is defined" instead.
    with pytest.raises(TemplateRenderError, match="'flag'"):
        renderer.render("{% if payload.flag %}x{% endif %}", {"payload": {}})


def test_undefined_in_arithmetic_raises(renderer):
    with pytest.raises(TemplateRenderError, match="'n'"):
        renderer.render("{{ payload.n + 1 }}", {"payload": {}})


def test_default_filter_works_with_strict_undefined(renderer):
    source = (
        "{{ payload.name | default('n/a') }}|{{ payload.user.name | default('n/a') }}"
        "|{{ tenant.x | default('-') }}"
    )
    assert renderer.render(source, {"payload": {}}) == "n/a|n/a|-"


def test_default_keeps_defined_values(renderer):
    assert renderer.render("{{ payload.name | default('n/a') }}", {"payload": {"name": "Ada"}}) == "Ada"


def test_is_defined_works_with_strict_undefined(renderer):
    source = (
        "{% if payload.x is defined %}x{% else %}no-x{% endif %} "
        "{% if payload.a.b is defined %}ab{% else %}no-ab{% endif %} "
        "{% if payload.y is undefined %}no-y{% endif %}"
    )
    assert renderer.render(source, {"payload": {"x": 0}}) == "x no-ab no-y"


def test_chained_missing_value_reports_first_missing_name(renderer):
    with pytest.raises(TemplateRenderError, match="has no attribute 'user'"):
        renderer.render("{{ payload.user.name }}", {"payload": {}})


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ payload.__class__.__init__.__globals__ }}",
        "{{ payload.tags.append(1) }}",
        "{{ payload.update({'x': 1}) }}",
        "{{ cycler.__init__.__globals__ }}",
    ],
)
def test_sandbox_refuses_escape_and_mutation(renderer, source):
    with pytest.raises(TemplateRenderError, match="not allowed"):
        renderer.render(source, {"payload": {"tags": []}})


def test_sandbox_refuses_huge_repetition_and_power(renderer):
    with pytest.raises(TemplateRenderError, match="not allowed"):
        renderer.render("{{ 'x' * 100000000 }}", {})
    with pytest.raises(TemplateRenderError, match="not allowed"):
        renderer.render("{{ 2 ** 100000000 }}", {})
    assert renderer.render("{{ 'ab' * 3 }} {{ 2 ** 10 }}", {}) == "ababab 1024"


def test_output_cap(renderer):
    assert len(renderer.render("{{ 'x' * 1000 }}", {})) == 1_000
    with pytest.raises(TemplateRenderError, match="longer than 1000 characters"):
        renderer.render("{% for i in range(2000) %}x{% endfor %}", {})


def test_output_cap_stops_a_long_loop_early():
    renderer = TemplateRenderer(max_output_chars=10)
    with pytest.raises(TemplateRenderError, match="longer than 10"):
        # 10**10 iterations: only the streamed cap makes this return quickly.
        source = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
        renderer.render(source, {})


def test_syntax_error_at_render_time_has_line(renderer):
    with pytest.raises(TemplateRenderError) as info:
        renderer.render("ok\n{{ payload.x }", {"payload": {}})
    assert info.value.line == 2


def test_other_exceptions_become_render_errors(renderer):
    with pytest.raises(TemplateRenderError, match="ZeroDivisionError") as info:
        renderer.render("a\nb\n{{ payload.n / 0 }}", {"payload": {"n": 1}})
    assert info.value.line == 3


def test_compiled_templates_are_cached_per_mode():
    renderer = TemplateRenderer(cache_size=2)
    renderer.render("{{ payload.x }}", {"payload": {"x": 1}})
    renderer.render("{{ payload.x }}", {"payload": {"x": 2}})
    renderer.render("{{ payload.x }}", {"payload": {"x": "<"}}, html=True)
    info = renderer._compile.cache_info()
    assert (info.hits, info.misses, info.currsize) == (1, 2, 2)


def test_render_fields_renders_each_field_with_its_mode(renderer):
    context = {"payload": {"name": "A&B"}}
    fields = {"subject": "Hi {{ payload.name }}", "body": "<b>{{ payload.name }}</b>"}
    out = renderer.render_fields(fields, context, html_fields={"body"})
    assert out == {"subject": "Hi A&B", "body": "<b>A&amp;B</b>"}


def test_render_fields_error_names_step_field_and_line(renderer):
    fields = {"subject": "ok", "content": "a\nb\n{{ payload.user.name }}"}
    with pytest.raises(TemplateRenderError) as info:
        renderer.render_fields(fields, {"payload": {}}, step="email-1")
    error = info.value
    assert (error.step, error.field, error.line) == ("email-1", "content", 3)
    assert str(error) == "step \"email-1\" field \"content\" line 3: 'dict object' has no attribute 'user'"


def test_render_error_pickles_with_location():
    error = TemplateRenderError("boom", line=2, field="subject", step="s")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.line, copy.field, copy.step) == ("boom", 2, "subject", "s")
    assert str(copy) == 'step "s" field "subject" line 2: boom'
