"""The contract of an action step kind: a step the workflow itself carries out.

Channel steps (``channels.steps``) run as one batch activity each; action steps (delay, digest,
throttle) are workflow code: timers, signals and small bookkeeping activities, so they cost nothing
while they wait and survive restarts.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.common import RetryPolicy

from core.payloads import Batch, SendPolicy, StepSpec, TriggerContext

# Step conditions live in the controls of any step; the kind's own model never sees them.
CONDITIONS = "conditions"
BOOKKEEPING_TIMEOUT = timedelta(minutes=2)
BOOKKEEPING_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))


# Runs recorded before fast-forward slept through their waits; newer ones wait on a condition that the
# ``fast_forward`` signal of their workflow ends early (``GET /v1/events/pending``).
FAST_FORWARD = "fast-forward"
FAST_FORWARD_SIGNAL = "fast_forward"


async def wait_or_fast_forward(wait: timedelta, summary: str) -> bool:
    """Wait ``wait`` (a durable timer); True when the workflow's ``fast_forward`` signal cut it short."""
    if not workflow.patched(FAST_FORWARD):
        await workflow.sleep(wait, summary=summary)
        return False
    run = workflow.instance()
    try:
        await workflow.wait_condition(lambda: bool(getattr(run, "fast_forwarded", False)), timeout=wait,
                                      timeout_summary=summary)
    except TimeoutError:
        return False
    return True


def own_controls(step: StepSpec) -> dict[str, Any]:
    """The step's controls without its conditions."""
    return {k: v for k, v in step.controls.items() if k != CONDITIONS}


@dataclass(frozen=True)
class ActionCall:
    """One action step of one run."""

    step: StepSpec
    index: int
    context: TriggerContext
    batch: Batch
    policy: SendPolicy
    # Recipients that left the run at an earlier step; those whose conditions passed (None: all).
    exclude: list[str]
    only: list[str] | None


class ActionResult(BaseModel):
    """What an action step did; ``reason`` says why it was skipped (shown in the run's result)."""

    step_id: str
    status: Literal["completed", "skipped"]
    reason: str = ""
    waited_seconds: float = 0.0
    # Recipients that left the run here (merged into a digest, throttled) and how many remain
    # (None: all of them; 0 ends the run).
    left: list[str] = Field(default_factory=list)
    remaining: int | None = None
    detail: str = ""
    # New template data (``step``) for the steps after this one.
    step_data: dict[str, Any] | None = None

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
    async def run(self, call: ActionCall) -> ActionResult:
        """Carry the step out inside the workflow (deterministic: timers and activities, never I/O)."""
