"""Novu's ``/v2/layouts``: a view over the same email layouts ``/v1/layouts`` manages.

``layoutId`` is the layout's identifier; the email body is the layout's content, shown with Novu's
``{{content}}`` placeholder and stored with Clarion's ``{{ body }}`` (``templates.layout``). Layouts
are rendered with Jinja whichever route saved them (a Novu layout is HTML around ``{{content}}``,
which reads the same in both languages); ``isTranslationEnabled`` is accepted and answered false:
translations apply to every template of an environment in Clarion.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import NativeAuth, RendererDep, SessionDep
from api.errors import BadRequest, Conflict
from api.novu.routes.layouts import _checked_content, _identifier_taken, _load
from api.novu.schemas.layouts_v2 import (
    CreateLayoutV2Dto,
    LayoutListV2Dto,
    LayoutListV2Envelope,
    LayoutV2Dto,
    LayoutV2Envelope,
    UpdateLayoutV2Dto,
)
from api.novu.views.subscribers import stamp
from api.paging import MAX_OFFSET
from store import layouts as layout_store
from store.models import Layout
from templates import default_layout
from templates.layout import from_novu_v2, to_novu_v2

router = APIRouter(prefix="/v2/layouts", tags=["layouts"])

LayoutKey = Annotated[str, Path(alias="layoutId", description="The layout's layoutId (identifier) or _id")]


def _dto(row: Layout) -> LayoutV2Dto:
    return LayoutV2Dto.model_validate({
        "_id": str(row.id), "layoutId": row.identifier, "slug": row.identifier, "name": row.name,
        "isDefault": row.is_default, "isTranslationEnabled": False, "createdAt": stamp(row.created_at),
        "updatedAt": stamp(row.updated_at),
        "controls": {"values": {"email": {"body": to_novu_v2(row.content), "editorType": "html"}}},
    })


@router.post("", status_code=201, response_model=LayoutV2Envelope, response_model_by_alias=True)
async def create_layout_v2(
    body: CreateLayoutV2Dto, principal: NativeAuth, session: SessionDep, renderer: RendererDep
) -> Any:
    """Create a layout from Clarion's built-in one; it becomes the default when the environment has none."""
    env = principal.environment_id
    is_default = await layout_store.get_default(session=session, environment_id=env) is None
    values: dict[str, Any] = {"identifier": body.layout_id, "name": body.name, "description": None,
              "content": _checked_content(renderer, default_layout()), "variables": [], "is_default": is_default}
    row = await layout_store.create(session=session, environment_id=env, values=values)
    if row is None:
        raise _identifier_taken(body.layout_id, principal)
    await session.commit()
    return LayoutV2Envelope(data=_dto(row))


@router.get("", response_model=LayoutListV2Envelope, response_model_by_alias=True)
async def list_layouts_v2(
    principal: NativeAuth,
    session: SessionDep,
    limit: Annotated[float, Query(ge=1, le=100)] = 10,
    offset: Annotated[float, Query(ge=0, le=MAX_OFFSET)] = 0,
    order_direction: Annotated[Literal["ASC", "DESC"], Query(alias="orderDirection")] = "DESC",
    order_by: Annotated[Literal["createdAt", "updatedAt", "name"], Query(alias="orderBy")] = "createdAt",
    query: Annotated[str | None, Query(max_length=255)] = None,
) -> Any:
    """Layouts by creation time, ``limit``/``offset`` paged (``orderBy`` other than createdAt: creation time too)."""
    if query:
        raise BadRequest("Searching layouts is not supported", field_errors={"query": "not supported by Clarion"})
    rows, total = await layout_store.page(
        session=session, environment_id=principal.environment_id, page=0, page_size=int(limit),
        descending=order_direction == "DESC", offset=int(offset),
    )
    return LayoutListV2Envelope(data=LayoutListV2Dto(layouts=[_dto(r) for r in rows], total_count=total))


@router.get("/{layoutId}", response_model=LayoutV2Envelope, response_model_by_alias=True)
async def get_layout_v2(layout_id: LayoutKey, principal: NativeAuth, session: SessionDep) -> Any:
    """One layout by layoutId or _id."""
    return LayoutV2Envelope(data=_dto(await _load(session, principal, layout_id)))


@router.put("/{layoutId}", response_model=LayoutV2Envelope, response_model_by_alias=True)
async def update_layout_v2(
    layout_id: LayoutKey, body: UpdateLayoutV2Dto, principal: NativeAuth, session: SessionDep, renderer: RendererDep
) -> Any:
    """Rename a layout and replace its email body (checked as ``/v1/layouts`` checks content)."""
    row = await _load(session, principal, layout_id)
    fields: dict[str, Any] = {"name": body.name}
    email = body.control_values.email if body.control_values else None
    if email is not None:
        fields["content"] = _checked_content(renderer, from_novu_v2(email.body))
    row = await layout_store.update_fields(session=session, layout=row, fields=fields)
    await session.commit()
    return LayoutV2Envelope(data=_dto(row))


@router.delete("/{layoutId}", status_code=204, response_class=Response)
async def delete_layout_v2(layout_id: LayoutKey, principal: NativeAuth, session: SessionDep) -> Response:
    """Delete a layout no workflow's email step names (409 otherwise); deleting the default clears it."""
    row = await _load(session, principal, layout_id)
    await _refuse_if_used(session, principal, row)
    await layout_store.delete(session=session, layout=row)
    await session.commit()
    return Response(status_code=204)


async def _refuse_if_used(session: AsyncSession, principal: Principal, row: Layout) -> None:
    using = await layout_store.workflows_using(session=session, environment_id=principal.environment_id, layout=row)
    if using:
        raise Conflict(f"Layout with id {row.id} is being used so it can not be deleted",
                       field_errors={"workflows": ", ".join(using)})
