"""Novu's ``/v2/translations``: a view over the same per-locale documents ``/v1/translations`` manages.

Novu keeps one translation document per workflow (or layout) and locale; Clarion keeps one per
locale for the whole environment, which every template reads (``t.key`` in Liquid, ``t('key')`` in
Jinja). So saving a workflow's content merges its keys into that locale's document, reading answers
the locale's whole document, and deleting removes the locale's document: all workflows share it.
The resource must exist; a locale may be written ``en_US`` or ``en-US``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import NativeAuth, SessionDep
from api.errors import BadRequest, NotFound
from api.novu.routes.translations import _locale
from api.novu.schemas.base import NovuResponse
from api.novu.schemas.subscribers import StorableBody
from api.novu.views.subscribers import stamp
from store import layouts as layout_store
from store import translations as translation_store
from store import workflows as workflow_store
from store.models import Translation
from templates.translations import message_problems

router = APIRouter(prefix="/v2/translations", tags=["translations"])

ResourceType = Literal["workflow", "layout"]


class CreateTranslationDto(StorableBody):
    resource_id: str = Field(alias="resourceId", min_length=1, max_length=255)
    resource_type: ResourceType = Field(alias="resourceType")
    locale: str = Field(min_length=2, max_length=35)
    content: dict[str, Any]


class TranslationDto(NovuResponse):
    model_config = ConfigDict(populate_by_name=True)

    resource_id: str = Field(alias="resourceId")
    resource_type: ResourceType = Field(alias="resourceType")
    locale: str
    content: dict[str, Any]
    created_at: str = Field(alias="createdAt")
    updated_at: str = Field(alias="updatedAt")


class TranslationEnvelope(BaseModel):
    data: TranslationDto


def _merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


async def _resource_or_404(session: AsyncSession, principal: Principal, kind: ResourceType, key: str) -> None:
    env = principal.environment_id
    found = (await workflow_store.get(session=session, environment_id=env, key=key) if kind == "workflow"
             else await layout_store.get(session=session, environment_id=env, key=key))
    if found is None:
        raise NotFound(f"{kind.title()} {key!r} not found")


def _dto(row: Translation, kind: ResourceType, resource_id: str) -> TranslationEnvelope:
    return TranslationEnvelope(data=TranslationDto(
        resource_id=resource_id, resource_type=kind, locale=row.locale, content=dict(row.messages or {}),
        created_at=stamp(row.created_at), updated_at=stamp(row.updated_at),
    ))


@router.post("", response_model=TranslationEnvelope, response_model_by_alias=True)
async def upsert_translation_v2(body: CreateTranslationDto, principal: NativeAuth, session: SessionDep) -> Any:
    """Merge a workflow's (or layout's) messages for one locale into that locale's document (200, as Novu)."""
    await _resource_or_404(session, principal, body.resource_type, body.resource_id)
    locale = _locale(body.locale)
    problems = message_problems(body.content)
    if problems:
        raise BadRequest(f"Invalid translations: {problems[0][0]}: {problems[0][1]}",
                         field_errors={f"content.{path}": problem for path, problem in problems})
    env = principal.environment_id
    current = await translation_store.get(session=session, environment_id=env, locale=locale)
    messages = _merged(dict(current.messages or {}) if current else {}, body.content)
    row, _ = await translation_store.put(session=session, environment_id=env, locale=locale, messages=messages)
    await session.commit()
    return _dto(row, body.resource_type, body.resource_id)


Kind = Annotated[ResourceType, Path(alias="resourceType")]
ResourceKey = Annotated[str, Path(alias="resourceId")]
LocaleKey = Annotated[str, Path(alias="locale")]


@router.get("/{resourceType}/{resourceId}/{locale}", response_model=TranslationEnvelope,
            response_model_by_alias=True)
async def get_translation_v2(
    kind: Kind, resource_id: ResourceKey, locale: LocaleKey, principal: NativeAuth, session: SessionDep
) -> Any:
    """The messages a workflow (or layout) reads in one locale."""
    await _resource_or_404(session, principal, kind, resource_id)
    canonical = _locale(locale)
    row = await translation_store.get(session=session, environment_id=principal.environment_id, locale=canonical)
    if row is None:
        raise NotFound(f"No translations for locale {canonical}")
    return _dto(row, kind, resource_id)


@router.delete("/{resourceType}/{resourceId}/{locale}", status_code=204, response_class=Response)
async def delete_translation_v2(
    kind: Kind, resource_id: ResourceKey, locale: LocaleKey, principal: NativeAuth, session: SessionDep
) -> Response:
    """Delete the locale's document (every workflow of the environment reads it)."""
    await _resource_or_404(session, principal, kind, resource_id)
    canonical = _locale(locale)
    if not await translation_store.delete(session=session, environment_id=principal.environment_id, locale=canonical):
        raise NotFound(f"No translations for locale {canonical}")
    await session.commit()
    return Response(status_code=204)
