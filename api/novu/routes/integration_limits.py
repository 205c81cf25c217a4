"""``/v1/integrations/{integrationId}/rate-limit`` (Clarion's own): the integration's send-rate limit.

Every worker together starts at most ``maxPerSecond`` sends of the integration in any one-second
window (kept with a 200 ms guard between windows), at most ``burst`` of them back to back;
deliveries wait for their turn rather than fail. ``null`` removes the limit.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from api.deps import NativeAuth, SessionDep
from api.errors import BadRequest, NotFound
from store import integrations as integration_store
from store.models import Integration

router = APIRouter(prefix="/v1/integrations", tags=["integrations"])
IntegrationKey = Annotated[str, Path(alias="integrationId", description="The integration _id or identifier")]


class RateLimitDto(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    max_per_second: float | None = Field(None, alias="maxPerSecond", gt=0, le=100_000,
                                         description="Sends per second across all workers; null: unlimited.")
    burst: int | None = Field(None, ge=1, description="Sends allowed back to back (default: maxPerSecond).")


def _view(row: Integration) -> dict[str, Any]:
    return {"data": {"maxPerSecond": row.max_per_second, "burst": row.burst}}


async def _load(session: Any, principal: NativeAuth, key: str) -> Integration:
    row = await integration_store.get(session=session, environment_id=principal.environment_id, key=key)
    if row is None:
        raise NotFound("Integration not found")
    return row


@router.get("/{integrationId}/rate-limit", summary="Get an integration's send-rate limit")
async def get_rate_limit(key: IntegrationKey, principal: NativeAuth, session: SessionDep) -> dict[str, Any]:
    return _view(await _load(session, principal, key))


@router.put("/{integrationId}/rate-limit", summary="Set an integration's send-rate limit")
async def set_rate_limit(key: IntegrationKey, body: RateLimitDto, principal: NativeAuth,
                         session: SessionDep) -> dict[str, Any]:
    row = await _load(session, principal, key)
    if body.burst is not None and body.max_per_second is None:
        raise BadRequest("burst needs maxPerSecond", field_errors={"burst": "set maxPerSecond too"})
    if body.burst is not None and body.max_per_second and body.burst > max(1, math.floor(body.max_per_second)):
        raise BadRequest("burst cannot exceed maxPerSecond", field_errors={"burst": "must be <= maxPerSecond"})
    row.max_per_second, row.burst = body.max_per_second, body.burst
    await integration_store.save(session=session, row=row)
    await session.commit()
    return _view(row)
