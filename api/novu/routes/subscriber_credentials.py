"""A subscriber's channel credentials (chat webhook URLs, push device tokens) and online flag.

These are Novu's v1 routes; novu-py 3.19 calls them as ``subscribers.credentials`` and
``subscribers.properties``, novu 1.14 as ``SubscriberApi.credentials``/``online_status``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from api.deps import NativeAuth, SessionDep
from api.novu.schemas.subscribers import OnlineStatusDto, SubscriberEnvelope, UpdateCredentialsDto
from api.novu.views.subscribers import envelope, merge_channels, subscriber_or_404, without_provider
from store import subscribers as subscriber_store
from store.base import utcnow

router = APIRouter(prefix="/v1/subscribers/{subscriberId}", tags=["subscribers"])

SubscriberKey = Annotated[str, Path(alias="subscriberId")]


async def _set_credentials(
    subscriber_id: str, body: UpdateCredentialsDto, principal: NativeAuth, session: SessionDep, *, append: bool
) -> SubscriberEnvelope:
    row = await subscriber_or_404(session, principal, subscriber_id)
    channels = merge_channels(row.channels or [], [body], append=append)
    row = await subscriber_store.update(session=session, subscriber=row, fields={"channels": channels})
    await session.commit()
    return envelope(row, principal)


@router.put("/credentials", response_model=SubscriberEnvelope)
async def replace_credentials(
    subscriber_id: SubscriberKey, body: UpdateCredentialsDto, principal: NativeAuth, session: SessionDep
) -> Any:
    """Set a provider's credentials; ``deviceTokens`` sent replace the stored ones."""
    return await _set_credentials(subscriber_id, body, principal, session, append=False)


@router.patch("/credentials", response_model=SubscriberEnvelope)
async def append_credentials(
    subscriber_id: SubscriberKey, body: UpdateCredentialsDto, principal: NativeAuth, session: SessionDep
) -> Any:
    """Set a provider's credentials; ``deviceTokens`` sent are added to the stored ones."""
    return await _set_credentials(subscriber_id, body, principal, session, append=True)


@router.delete("/credentials/{providerId}", status_code=204, response_class=Response)
async def delete_credentials(
    subscriber_id: SubscriberKey,
    provider_id: Annotated[str, Path(alias="providerId")],
    principal: NativeAuth,
    session: SessionDep,
) -> Response:
    """Remove every credential entry of a provider (none stored is not an error, as in Novu)."""
    row = await subscriber_or_404(session, principal, subscriber_id)
    await subscriber_store.update(
        session=session, subscriber=row, fields={"channels": without_provider(row.channels or [], provider_id)}
    )
    await session.commit()
    return Response(status_code=204)


@router.patch("/online-status", response_model=SubscriberEnvelope)
async def update_online_status(
    subscriber_id: SubscriberKey, body: OnlineStatusDto, principal: NativeAuth, session: SessionDep
) -> Any:
    """Set the online flag; going offline records ``lastOnlineAt`` (as Novu does)."""
    row = await subscriber_or_404(session, principal, subscriber_id)
    fields: dict[str, Any] = {"is_online": body.is_online}
    if not body.is_online:
        fields["last_online_at"] = utcnow()
    row = await subscriber_store.update(session=session, subscriber=row, fields=fields)
    await session.commit()
    return envelope(row, principal)
