"""Action step kinds: steps that the workflow carries out itself (delay), not a channel.

Adding an action step type is one module here plus one line in ``ACTION_KINDS``: the API validates
a saved step's controls with its model, and ``workflows.steps.run_steps`` runs it in the workflow.
Nothing else names action step types.
"""

from __future__ import annotations

from collections.abc import Mapping

from workflows.actions.base import ActionKind, ActionResult
from workflows.actions.delay import DelayStep

ACTION_KINDS: Mapping[str, ActionKind] = {kind.type: kind for kind in (DelayStep(),)}

__all__ = ["ACTION_KINDS", "ActionKind", "ActionResult"]
