"""The package's contract is its ``__all__``: changing it must be a visible diff (house style P14)."""

import templates


def test_all_lists_exactly_the_public_names():
    public = {name for name in vars(templates) if not name.startswith("_")}
    modules = {"amplifiers", "budget", "checks", "conditions", "environment", "errors", "filters", "layout", "liquid",
               "renderer", "translations", "email_tracking"}
    assert set(templates.__all__) == public - modules
    assert templates.__all__ == [
        "CONTEXT_ROOTS",
        "TemplateProblem",
        "TemplateRenderError",
        "TemplateRenderer",
        "Translations",
        "default_layout",
    ]


def test_context_roots_are_the_documented_names():
    assert frozenset({"subscriber", "payload", "tenant", "actor", "step", "steps", "body", "t"}) == (
        templates.CONTEXT_ROOTS
    )
