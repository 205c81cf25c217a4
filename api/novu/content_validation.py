"""Checks of a workflow's references to content that lives outside it (email layouts), at save time.

They need the store, so they run in the route after ``build_steps`` and add to the same ``Problems``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from api.novu.schemas.workflows import StepUpsertDto
from api.novu.workflow_validation import Problems
from store import layouts


async def check_layouts(
    session: AsyncSession, environment_id: uuid.UUID, steps: Sequence[StepUpsertDto], problems: Problems
) -> None:
    """Report email steps whose ``layoutId`` names no layout of the environment (null means none)."""
    for i, dto in enumerate(steps):
        key = (dto.control_values or {}).get("layoutId")
        if dto.type != "email" or key is None:
            continue
        field = f"steps[{i}].controlValues.layoutId"
        if not isinstance(key, str) or not key:
            problems.add(field, "must be a layout _id or identifier, or null for no layout")
        elif await layouts.get(session=session, environment_id=environment_id, key=key) is None:
            problems.add(field, f'step "{dto.step_id or dto.name}": layout "{key}" does not exist in this environment')
