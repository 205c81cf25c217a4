"""A short-lived cache of workflow definitions, so a burst of triggers reads each one once.

Entries live ``ttl`` seconds (2 by default): an edit made through another API process shows up
within that time; edits through this process drop the entry at once.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.protocols import Validator
from sqlalchemy.ext.asyncio import AsyncSession

from api.operations.shared_loads import SharedLoads
from core.payloads import StepSpec, WorkflowSnapshot
from store import workflow_versions
from store import workflows as workflow_store


@dataclass(frozen=True)
class CachedWorkflow:
    snapshot: WorkflowSnapshot
    active: bool
    payload_validator: Validator | None


def _validator(schema: dict[str, Any] | None) -> Validator | None:
    if not schema:
        return None
    cls = validators.validator_for(schema, default=Draft202012Validator)
    return cls(schema)


class WorkflowCache:
    def __init__(self, *, ttl: float = 2.0, max_entries: int = 10_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[tuple[uuid.UUID, str], tuple[float, CachedWorkflow]] = {}
        self._loads: SharedLoads[tuple[uuid.UUID, str], CachedWorkflow | None] = SharedLoads()

    def invalidate(self, environment_id: uuid.UUID, identifier: str | None = None) -> None:
        if identifier is None:
            self._entries = {k: v for k, v in self._entries.items() if k[0] != environment_id}
        else:
            self._entries.pop((environment_id, identifier), None)

    async def get(self, session: AsyncSession, environment_id: uuid.UUID, identifier: str) -> CachedWorkflow | None:
        key = (environment_id, identifier)
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        entry = await self._loads.load(key, lambda: self._read(session, environment_id, identifier))
        if entry is None:
            self._entries.pop(key, None)
            return None  # misses are not cached: a workflow created a moment ago must be found
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (now + self._ttl, entry)
        return entry

    @staticmethod
    async def _read(session: AsyncSession, environment_id: uuid.UUID, identifier: str) -> CachedWorkflow | None:
        row = await workflow_store.get_by_identifier(
            session=session, environment_id=environment_id, identifier=identifier
        )
        if row is None:
            return None
        snapshot = WorkflowSnapshot(
            id=str(row.id), identifier=row.identifier, name=row.name, critical=row.critical,
            preferences=row.preferences or {}, tags=row.tags or [],
            steps=[StepSpec.model_validate(step) for step in row.steps or []],
            version=await workflow_versions.latest_number(session=session, workflow_id=row.id),
        )
        return CachedWorkflow(snapshot=snapshot, active=row.active, payload_validator=_validator(row.payload_schema))
