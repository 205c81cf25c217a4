"""What the templates room reports: problems found at save time, errors raised at render time.

Validation never raises; it returns a list of `TemplateProblem` so the API can show every problem of
a workflow at once. Rendering raises one `TemplateRenderError`, which the render activity should treat
as permanent: the same template and context will fail the same way on every retry.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """One problem found while validating a template.

    Attributes:
        field: Where the template lives, as named by the caller (e.g. ``"steps[1].subject"``).
        line: 1-based line in the template source, or None when the problem has no position.
        message: Human-readable explanation, suitable for an API error body.
    """

    field: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.field} line {self.line}" if self.line is not None else self.field
        return f"{where}: {self.message}"


class TemplateRenderError(Exception):
    """Rendering failed: undefined variable, sandbox violation, bad filter input or output too large.

    Only ``message`` goes into ``args`` so the exception pickles (Temporal and multiprocessing copy
    exceptions); the location attributes travel in ``__dict__``.

    Attributes:
        message: What went wrong, without location.
        line: 1-based template line where it went wrong, when known.
        field: The step field being rendered (``"subject"``), when known.
        step: The step identifier (``"email-1"``), when known.
    """

    def __init__(
        self, message: str, *, line: int | None = None, field: str | None = None, step: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.field = field
        self.step = step

    def located(self, *, field: str | None = None, step: str | None = None) -> TemplateRenderError:
        """Return a copy that also names the field and step; existing location is kept.

        Args:
            field: The field name to attach if none is set yet.
            step: The step identifier to attach if none is set yet.

        Returns:
            A new error with the same message and line.
        """
        return type(self)(
            self.message, line=self.line, field=self.field or field, step=self.step or step
        )

    def __str__(self) -> str:
        parts = []
        if self.step is not None:
            parts.append(f'step "{self.step}"')
        if self.field is not None:
            parts.append(f'field "{self.field}"')
        if self.line is not None:
            parts.append(f"line {self.line}")
        return f"{' '.join(parts)}: {self.message}" if parts else self.message
