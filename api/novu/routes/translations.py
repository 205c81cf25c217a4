"""Clarion's ``/v1/translations``: one JSON document of messages per locale per environment.

Templates call ``{{ t('key.path', name=value) }}``; the subscriber's locale picks the message
(exact locale, then its language, then the environment's fallback locale, then the key itself).
Locales are stored canonically: ``en-us`` and ``en_US`` name the same document, ``en_US``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from api.deps import NativeAuth, SessionDep
from api.errors import BadRequest, NotFound
from api.novu.raw_body import json_object
from api.novu.views.subscribers import stamp
from store import translations as translation_store
from store.models import Translation
from templates.translations import DEFAULT_FALLBACK_LOCALE, canonical_locale, message_count, message_problems

router = APIRouter(prefix="/v1/translations", tags=["translations"])

LocaleKey = Annotated[str, Path(alias="locale", description="A locale such as en, en_US or en-US")]


def _locale(raw: str, field: str = "locale") -> str:
    locale = canonical_locale(raw)
    if locale is None:
        raise BadRequest(f"Invalid locale {raw!r}: use a language code with an optional region, such as en or en_US",
                         field_errors={field: "is not a locale"})
    return locale


def _summary(row: Translation) -> dict[str, Any]:
    return {"locale": row.locale, "keyCount": message_count(row.messages or {}), "createdAt": stamp(row.created_at),
            "updatedAt": stamp(row.updated_at)}


@router.get("/settings")
async def get_settings(principal: NativeAuth, session: SessionDep) -> Any:
    """The environment's fallback locale."""
    found = await translation_store.fallback_locale(session=session, environment_id=principal.environment_id)
    return {"data": {"fallbackLocale": found or DEFAULT_FALLBACK_LOCALE}}


@router.put("/settings")
async def put_settings(request: Request, principal: NativeAuth, session: SessionDep) -> Any:
    """Set the environment's fallback locale: ``{"fallbackLocale": "en_US"}``."""
    body = await json_object(request)
    raw = body.get("fallbackLocale")
    if not isinstance(raw, str):
        raise BadRequest("fallbackLocale is required", field_errors={"fallbackLocale": "must be a locale string"})
    locale = _locale(raw, "fallbackLocale")
    await translation_store.set_fallback_locale(session=session, environment_id=principal.environment_id,
                                                locale=locale)
    await session.commit()
    return {"data": {"fallbackLocale": locale}}


@router.get("")
async def list_translations(principal: NativeAuth, session: SessionDep) -> Any:
    """Every locale of the environment with its number of keys."""
    rows = await translation_store.all_for(session=session, environment_id=principal.environment_id)
    return {"data": [_summary(row) for row in rows]}


@router.put("/{locale}")
async def put_translation(locale: LocaleKey, request: Request, principal: NativeAuth, session: SessionDep) -> Any:
    """Replace one locale's messages with the body (a JSON object; nested objects make dotted keys)."""
    canonical = _locale(locale)
    messages = await json_object(request)
    problems = message_problems(messages)
    if problems:
        raise BadRequest(f"Invalid translations: {problems[0][0]}: {problems[0][1]}", field_errors=dict(problems))
    row, _ = await translation_store.put(
        session=session, environment_id=principal.environment_id, locale=canonical, messages=messages
    )
    await session.commit()
    return {"data": {**_summary(row), "translations": row.messages}}


@router.get("/{locale}")
async def get_translation(locale: LocaleKey, principal: NativeAuth, session: SessionDep) -> Any:
    """One locale's messages as stored."""
    canonical = _locale(locale)
    row = await translation_store.get(session=session, environment_id=principal.environment_id, locale=canonical)
    if row is None:
        raise NotFound(f"No translations for locale {canonical}")
    return {"data": {**_summary(row), "translations": row.messages}}


@router.delete("/{locale}", status_code=204, response_class=Response)
async def delete_translation(locale: LocaleKey, principal: NativeAuth, session: SessionDep) -> Response:
    """Delete one locale's messages."""
    canonical = _locale(locale)
    if not await translation_store.delete(session=session, environment_id=principal.environment_id, locale=canonical):
        raise NotFound(f"No translations for locale {canonical}")
    await session.commit()
    return Response(status_code=204)
