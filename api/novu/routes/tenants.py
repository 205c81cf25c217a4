"""Novu's ``/v1/tenants``: the caller's customers, which triggers name in ``tenant``.

A trigger's tenant object creates or updates the tenant (``store.tenants.upsert``); a bare
identifier must name one that exists, or the trigger answers ``no_tenant_found``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import NativeAuth, SessionDep
from api.errors import Conflict, NotFound
from api.novu.schemas.tenants import (
    CreateTenantDto,
    PatchTenantDto,
    TenantEnvelope,
    TenantPageResponse,
    TenantResponseDto,
)
from api.novu.views.subscribers import stamp
from api.paging import MAX_PAGE
from store import tenants as tenant_store
from store.models import Tenant

router = APIRouter(prefix="/v1/tenants", tags=["tenants"])

TenantKey = Annotated[str, Path(alias="identifier")]


def _dto(row: Tenant) -> TenantResponseDto:
    return TenantResponseDto(
        id=str(row.id),
        identifier=row.identifier,
        name=row.name,
        data=row.data or {},
        environment_id=str(row.environment_id),
        created_at=stamp(row.created_at),
        updated_at=stamp(row.updated_at),
    )


async def _load(session: AsyncSession, principal: Principal, identifier: str) -> Tenant:
    row = await tenant_store.get(session=session, environment_id=principal.environment_id, identifier=identifier)
    if row is None:
        raise NotFound("Tenant not found")
    return row


def _taken() -> Conflict:
    # Novu answers a duplicate identifier with 409 (novu-py has no tenant calls to retry it).
    return Conflict("A tenant with this identifier already exists", field_errors={"identifier": "already exists"})


@router.post("", status_code=201, response_model=TenantEnvelope)
async def create_tenant(body: CreateTenantDto, principal: NativeAuth, session: SessionDep) -> Any:
    """Create a tenant; an identifier already in use is a 409."""
    row = await tenant_store.create(
        session=session, environment_id=principal.environment_id, identifier=body.identifier, name=body.name,
        data=body.data or {},
    )
    if row is None:
        raise _taken()
    await session.commit()
    return TenantEnvelope(data=_dto(row))


@router.get("", response_model=TenantPageResponse)
async def list_tenants(
    principal: NativeAuth,
    session: SessionDep,
    page: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Any:
    """One page of tenants, newest first (page is 0-based)."""
    rows, has_more = await tenant_store.page(
        session=session, environment_id=principal.environment_id, page=page, limit=limit
    )
    return TenantPageResponse(data=[_dto(row) for row in rows], page=page, page_size=limit, has_more=has_more)


@router.get("/{identifier}", response_model=TenantEnvelope)
async def get_tenant(identifier: TenantKey, principal: NativeAuth, session: SessionDep) -> Any:
    """One tenant by identifier."""
    return TenantEnvelope(data=_dto(await _load(session, principal, identifier)))


@router.patch("/{identifier}", response_model=TenantEnvelope)
async def patch_tenant(identifier: TenantKey, body: PatchTenantDto, principal: NativeAuth, session: SessionDep) -> Any:
    """Change a tenant's identifier, name or data (data is replaced, not merged)."""
    row = await _load(session, principal, identifier)
    fields = body.model_dump(exclude_none=True)
    new_identifier = fields.get("identifier", row.identifier)
    if new_identifier != row.identifier and await tenant_store.get(
        session=session, environment_id=principal.environment_id, identifier=new_identifier
    ):
        raise _taken()
    try:
        row = await tenant_store.update(session=session, tenant=row, fields=fields)
        await session.commit()
    except IntegrityError as exc:  # another request took the identifier after our check
        await session.rollback()
        raise _taken() from exc
    return TenantEnvelope(data=_dto(row))


@router.delete("/{identifier}", status_code=204, response_class=Response)
async def delete_tenant(identifier: TenantKey, principal: NativeAuth, session: SessionDep) -> Response:
    """Delete a tenant."""
    if not await tenant_store.delete(session=session, environment_id=principal.environment_id, identifier=identifier):
        raise NotFound("Tenant not found")
    await session.commit()
    return Response(status_code=204)
