"""``/v1/unsubscribe/{token}``: the target of an email's ``List-Unsubscribe`` header (RFC 8058).

``POST`` (a mail client's one-click ``List-Unsubscribe=One-Click``, or the page's button) switches
off that workflow's email for that subscriber. ``GET`` only shows a confirmation page: link
scanners fetch every URL in a mail, and must not unsubscribe anybody.
"""

from __future__ import annotations

import html
import uuid
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep
from api.errors import NotFound
from api.operations.lifecycle import EmitCommitted
from core import unsubscribe_tokens
from store import preferences, subscribers

router = APIRouter(prefix="/v1/unsubscribe", tags=["preferences"], dependencies=[EmitCommitted])
Token = Annotated[str, Path(description="The token of an email's List-Unsubscribe link", max_length=2000)]
_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Unsubscribe</title></head><body>
<p>{text}</p>{form}</body></html>"""


def _target(token: str, secret: str) -> unsubscribe_tokens.Unsubscribe:
    target = unsubscribe_tokens.read(secret, token)
    if target is None:
        raise NotFound("This unsubscribe link is not valid")
    return target


@router.get("/{token}", response_class=HTMLResponse, summary="Show the unsubscribe confirmation page")
async def confirm_page(token: Token, settings: SettingsDep) -> HTMLResponse:
    _target(token, settings.secret_key.get_secret_value())
    form = f'<form method="post" action="{html.escape(token)}"><button type="submit">Unsubscribe</button></form>'
    return HTMLResponse(_PAGE.format(text="Stop receiving these emails?", form=form))


@router.post("/{token}", response_class=HTMLResponse, summary="Unsubscribe (RFC 8058 one-click)")
async def unsubscribe(token: Token, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """Switch this workflow's email off for the subscriber the token names; repeating it changes nothing."""
    target = _target(token, settings.secret_key.get_secret_value())
    env = uuid.UUID(target.environment_id)
    subscriber = await subscribers.get(session=session, environment_id=env, subscriber_id=target.subscriber_id)
    if subscriber is None:
        raise NotFound("This subscriber no longer exists")
    await preferences.upsert(session=session, environment_id=env, subscriber_pk=subscriber.id,
                             workflow_id=uuid.UUID(target.workflow_id), channels={"email": False})
    await session.commit()
    return HTMLResponse(_PAGE.format(text="You are unsubscribed from these emails.", form=""))
