"""Action step kinds: steps that the workflow carries out itself (delay, digest, throttle), not a channel.

Adding an action step type is one module here plus one line in ``ACTION_KINDS``: the API validates
a saved step's controls with its model, and ``workflows.step_sequence.run_steps`` runs it in the workflow.
Nothing else names action step types.
"""

from __future__ import annotations

from collections.abc import Mapping

from workflows.actions.base import CONDITIONS, ActionCall, ActionKind, ActionResult, own_controls
from workflows.actions.delay import DelayStep
from workflows.actions.digest import DigestStep
from workflows.actions.throttle import ThrottleStep

ACTION_KINDS: Mapping[str, ActionKind] = {kind.type: kind for kind in (DelayStep(), DigestStep(), ThrottleStep())}

__all__ = ["ACTION_KINDS", "CONDITIONS", "ActionCall", "ActionKind", "ActionResult", "own_controls"]
