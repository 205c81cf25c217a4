"""The contract of an action step kind: a step the workflow itself carries out, with no I/O.

Channel steps (``channels.steps``) run as one batch activity each; action steps (delay, and later
digest and throttle) are workflow code, so they cost nothing while they wait and survive restarts.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from typing import ClassVar, Literal

from pydantic import BaseModel

from workflows.inputs import StepSpec, TriggerContext


class ActionResult(BaseModel):
    """What an action step did; ``reason`` says why it was skipped (shown in the run's result)."""

    step_id: str
    status: Literal["completed", "skipped"]
    reason: str = ""
    waited_seconds: float = 0.0

    def note(self) -> str:
        detail = f"skipped: {self.reason}" if self.status == "skipped" else f"waited {self.waited_seconds:g}s"
        return f"step {self.step_id!r}: {detail}"


class ActionKind(ABC):
    """One action step type.

    Attributes:
        type: The step type as workflows store and Novu sends it (``delay``).
        controls_model: Validates the step's controls when a workflow is saved, and again when the
            workflow runs them (a stored step is never trusted blindly). Action steps have no
            templates.
    """

    type: ClassVar[str]
    controls_model: ClassVar[builtins.type[BaseModel]]

    @abstractmethod
    async def run(self, step: StepSpec, context: TriggerContext) -> ActionResult:
        """Carry the step out inside the workflow (deterministic: timers, never I/O)."""
