"""Novu's ``/v1/layouts``: email layouts, one of which may be the environment's default.

A layout is a Jinja HTML template that places the rendered step body with ``{{ body }}`` (Novu's
``{{{body}}}`` is accepted and rewritten). An email step uses its ``layoutId``, else the default
layout, else none; ``layoutId: null`` sends the body alone. Unlike Novu, an environment may have no
default layout (then email bodies go out as rendered), so ``isDefault: false`` on the default clears it.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import NativeAuth, RendererDep, SessionDep
from api.errors import BadRequest, Conflict, NotFound
from api.novu.schemas.layouts import (
    CreateLayoutDto,
    LayoutDto,
    LayoutEnvelope,
    LayoutIdDto,
    LayoutIdEnvelope,
    LayoutPage,
    UpdateLayoutDto,
)
from api.novu.views.subscribers import stamp
from api.novu.workflow_validation import slugify
from api.paging import MAX_PAGE
from store import layouts as layout_store
from store.models import Layout
from templates import default_layout
from templates.layout import from_novu
from templates.renderer import TemplateRenderer

router = APIRouter(prefix="/v1/layouts", tags=["layouts"])

LayoutKey = Annotated[str, Path(alias="layoutId", description="The layout's _id or identifier")]


def _dto(row: Layout, principal: Principal) -> LayoutDto:
    return LayoutDto(
        id=str(row.id), organization_id=str(principal.organization_id), environment_id=str(row.environment_id),
        creator_id=str(principal.key_id), name=row.name, identifier=row.identifier, description=row.description,
        content=row.content, variables=list(row.variables or []), is_default=row.is_default,
        created_at=stamp(row.created_at), updated_at=stamp(row.updated_at),
    )


async def _load(session: AsyncSession, principal: Principal, key: str) -> Layout:
    row = await layout_store.get(session=session, environment_id=principal.environment_id, key=key)
    if row is None:
        raise NotFound(f"Layout not found in the environment {principal.environment_id}")
    return row


def _checked_content(renderer: TemplateRenderer, source: str) -> str:
    content = from_novu(source)
    problems = renderer.validate_layout(content, field="content")
    if problems:
        detail = "; ".join(map(str, problems))
        raise BadRequest(f"Invalid layout content: {problems[0]}", field_errors={"content": detail})
    return content


def _identifier_taken(identifier: str, principal: Principal) -> Conflict:
    return Conflict(
        f"Layout with identifier: {identifier} already exists under environment {principal.environment_id}",
        field_errors={"identifier": "already exists"},
    )


@router.post("", status_code=201, response_model=LayoutIdEnvelope, response_model_by_alias=True)
async def create_layout(
    body: CreateLayoutDto, principal: NativeAuth, session: SessionDep, renderer: RendererDep
) -> Any:
    """Create a layout; ``isDefault`` makes it the environment's only default."""
    content = _checked_content(renderer, body.content if body.content is not None else default_layout())
    env = principal.environment_id
    # Room for the uniqueness suffix below within the column's 255 characters.
    identifier = body.identifier or slugify(body.name)[:240] or "layout"
    if body.identifier is None and await layout_store.identifier_taken(
        session=session, environment_id=env, identifier=identifier
    ):
        identifier = f"{identifier}-{secrets.token_hex(3)}"  # derived from a name in use: keep it unique
    values = {"identifier": identifier, "name": body.name, "description": body.description, "content": content,
              "variables": body.variables or [], "is_default": bool(body.is_default)}
    row = await layout_store.create(session=session, environment_id=env, values=values)
    if row is None:
        raise _identifier_taken(identifier, principal)
    await session.commit()
    return LayoutIdEnvelope(data=LayoutIdDto(id=str(row.id)))


@router.get("", response_model=LayoutPage, response_model_by_alias=True)
async def list_layouts(
    principal: NativeAuth,
    session: SessionDep,
    # novu-py sends numbers as floats (``page=0.0``).
    page: Annotated[float, Query(ge=0, le=MAX_PAGE)] = 0,
    page_size: Annotated[float, Query(alias="pageSize", ge=1, le=100)] = 10,
    order_by: Annotated[float, Query(alias="orderBy", ge=-1, le=1)] = -1,
) -> Any:
    """One page of layouts by creation time (``orderBy`` 1 oldest first, -1 newest first); page is 0-based."""
    rows, total = await layout_store.page(
        session=session, environment_id=principal.environment_id, page=int(page), page_size=int(page_size),
        descending=order_by < 0,
    )
    return LayoutPage(data=[_dto(r, principal) for r in rows], page=int(page), page_size=int(page_size),
                      total_count=total)


@router.get("/{layoutId}", response_model=LayoutEnvelope, response_model_by_alias=True)
async def get_layout(layout_id: LayoutKey, principal: NativeAuth, session: SessionDep) -> Any:
    """One layout by _id or identifier."""
    return LayoutEnvelope(data=_dto(await _load(session, principal, layout_id), principal))


@router.patch("/{layoutId}", response_model=LayoutEnvelope, response_model_by_alias=True)
async def update_layout(
    layout_id: LayoutKey, body: UpdateLayoutDto, principal: NativeAuth, session: SessionDep, renderer: RendererDep
) -> Any:
    """Change a layout's name, identifier, description, content, variables or default flag."""
    fields = body.model_dump(exclude_unset=True, exclude_none=True)
    if not fields:
        raise BadRequest("Payload can not be empty")
    row = await _load(session, principal, layout_id)
    if "content" in fields:
        fields["content"] = _checked_content(renderer, fields["content"])
    new_identifier = fields.get("identifier", row.identifier)
    if new_identifier != row.identifier and await layout_store.identifier_taken(
        session=session, environment_id=principal.environment_id, identifier=new_identifier, other_than=row.id
    ):
        raise _identifier_taken(new_identifier, principal)
    if fields.get("is_default") is False:
        fields.pop("is_default")
        row.is_default = False  # Clarion allows no default: email bodies then go out without a layout
    try:
        row = await layout_store.update_fields(session=session, layout=row, fields=fields)
        await session.commit()
    except IntegrityError as exc:  # another request took the identifier after our check
        await session.rollback()
        raise _identifier_taken(new_identifier, principal) from exc
    return LayoutEnvelope(data=_dto(row, principal))


@router.delete("/{layoutId}", status_code=204, response_class=Response)
async def delete_layout(layout_id: LayoutKey, principal: NativeAuth, session: SessionDep) -> Response:
    """Delete a layout that is neither the default nor named by a workflow's email step (409 otherwise)."""
    row = await _load(session, principal, layout_id)
    if row.is_default:
        raise Conflict(f"Layout with id {row.id} is being used as your default layout, so it can not be deleted")
    using = await layout_store.workflows_using(session=session, environment_id=principal.environment_id, layout=row)
    if using:
        raise Conflict(f"Layout with id {row.id} is being used so it can not be deleted",
                       field_errors={"workflows": ", ".join(using)})
    await layout_store.delete(session=session, layout=row)
    await session.commit()
    return Response(status_code=204)


@router.post("/{layoutId}/default", status_code=204, response_class=Response)
async def set_default_layout(layout_id: LayoutKey, principal: NativeAuth, session: SessionDep) -> Response:
    """Make a layout the environment's default (the previous default is no longer one)."""
    row = await _load(session, principal, layout_id)
    await layout_store.set_default(session=session, layout=row)
    await session.commit()
    return Response(status_code=204)
