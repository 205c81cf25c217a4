"""Novu's ``/v1/integrations``: provider configurations per environment, one primary per channel.

Credentials are validated with the provider's ``config_model`` on every save, stored encrypted
(``store.crypto``), and only ever answered masked. ``/v1/integrations/providers`` (Clarion's own)
lists the installed providers, the Novu ids each answers to (``api.novu.providers``) and the JSON
schema of their credentials, for integration forms.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import NativeAuth, SessionDep
from api.errors import BadRequest, NotFound
from api.novu.providers import NOVU_PROVIDERS, novu_credentials, novu_id, novu_ids, resolve, shown_credentials
from api.novu.views.integrations import (
    integration_dto,
    keep_unchanged_secrets,
    masked,
    normalize,
    secret_fields,
    validate,
)
from channels import ChannelRegistry
from store import integrations as integration_store
from store.crypto import CredentialCipher
from store.models import Integration

router = APIRouter(prefix="/v1/integrations", tags=["integrations"])

IntegrationKey = Annotated[str, Path(alias="integrationId", description="The integration _id or identifier")]


class _Body(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class CreateIntegrationDto(_Body):
    provider_id: str = Field(alias="providerId", min_length=1)
    channel: str | None = None
    name: str | None = Field(None, max_length=255)
    identifier: str | None = Field(None, min_length=1, max_length=255)
    credentials: dict[str, Any] = Field(default_factory=dict)
    active: bool = True


class UpdateIntegrationDto(_Body):
    name: str | None = Field(None, max_length=255)
    identifier: str | None = Field(None, min_length=1, max_length=255)
    credentials: dict[str, Any] | None = None
    active: bool | None = None


def get_channels(request: Request) -> ChannelRegistry:
    registry: ChannelRegistry = request.app.state.channels
    return registry


def get_cipher(request: Request) -> CredentialCipher:
    cipher: CredentialCipher = request.app.state.cipher
    return cipher


ChannelsDep = Annotated[ChannelRegistry, Depends(get_channels)]
CipherDep = Annotated[CredentialCipher, Depends(get_cipher)]


def _dto(row: Integration, principal: Principal, channels: ChannelRegistry, cipher: CredentialCipher) -> Any:
    model = channels.get(row.provider_id).config_model if row.provider_id in channels else None
    shown = shown_credentials(row.provider_id, masked(model, cipher.open(row.credentials)))
    return integration_dto(row, str(principal.organization_id), shown)


async def _all(
    session: AsyncSession, principal: Principal, channels: ChannelRegistry, cipher: CredentialCipher,
    *, active_only: bool = False,
) -> dict[str, Any]:
    rows = await integration_store.list_for(
        session=session, environment_id=principal.environment_id, active_only=active_only
    )
    return {"data": [_dto(r, principal, channels, cipher) for r in rows]}


async def _load(session: AsyncSession, principal: Principal, key: str) -> Integration:
    row = await integration_store.get(session=session, environment_id=principal.environment_id, key=key)
    if row is None:
        raise NotFound("Integration not found")
    return row


@router.get("/providers")
async def list_providers(principal: NativeAuth, channels: ChannelsDep) -> Any:
    """The installed providers, each with its channel and the JSON schema of its credentials."""
    return {"data": [
        {
            "id": cls.id, "novuIds": novu_ids(cls.id), "channel": str(cls.channel), "displayName": cls.display_name,
            "capabilities": cls.capabilities.model_dump(), "configSchema": cls.config_model.model_json_schema(),
            "secretFields": sorted(secret_fields(cls.config_model)),
        }
        for cls in channels.classes()
    ]}


@router.get("")
async def list_integrations(
    principal: NativeAuth, session: SessionDep, channels: ChannelsDep, cipher: CipherDep
) -> Any:
    """Every integration of the environment, credentials masked."""
    return await _all(session, principal, channels, cipher)


@router.get("/active")
async def list_active_integrations(
    principal: NativeAuth, session: SessionDep, channels: ChannelsDep, cipher: CipherDep
) -> Any:
    """The active integrations, per channel the primary first."""
    return await _all(session, principal, channels, cipher, active_only=True)


@router.post("", status_code=201)
async def create_integration(
    body: CreateIntegrationDto, principal: NativeAuth, session: SessionDep, channels: ChannelsDep, cipher: CipherDep
) -> Any:
    """Create an integration; the first active one of a channel becomes its primary."""
    # A duplicate identifier is a 400, not a 409: novu-py retries 409s for up to an hour.
    cls, novu = resolve(channels, body.provider_id)
    if body.channel is not None and body.channel != cls.channel:
        raise BadRequest(f"Provider {cls.id} delivers on {cls.channel}, not {body.channel}",
                         field_errors={"channel": f"must be {cls.channel}"})
    credentials = normalize(cls.config_model, novu_credentials(novu, body.credentials))
    validate(cls.id, cls.config_model, credentials)
    env = principal.environment_id
    identifier = body.identifier or f"{cls.id.replace('_', '-')}-{secrets.token_hex(3)}"
    if await integration_store.identifier_taken(session=session, environment_id=env, identifier=identifier):
        raise BadRequest("An integration with this identifier already exists",
                       field_errors={"identifier": "already exists"})
    row = await integration_store.create(session=session, environment_id=env, values={
        "identifier": identifier, "provider_id": cls.id, "channel": str(cls.channel),
        "name": body.name or cls.display_name, "credentials": cipher.seal(credentials), "active": body.active,
    })
    await session.commit()
    return {"data": _dto(row, principal, channels, cipher)}


@router.put("/{integrationId}")
async def update_integration(
    key: IntegrationKey, body: UpdateIntegrationDto, principal: NativeAuth, session: SessionDep,
    channels: ChannelsDep, cipher: CipherDep,
) -> Any:
    """Change an integration's name, identifier, credentials (validated again) or active flag."""
    row = await _load(session, principal, key)
    if body.identifier and body.identifier != row.identifier:
        if await integration_store.identifier_taken(
            session=session, environment_id=principal.environment_id, identifier=body.identifier
        ):
            raise BadRequest("An integration with this identifier already exists",
                           field_errors={"identifier": "already exists"})
        row.identifier = body.identifier
    if body.name:
        row.name = body.name
    if body.credentials is not None:
        cls = channels.get(row.provider_id)
        stored = cipher.open(row.credentials)
        sent = novu_credentials(NOVU_PROVIDERS.get(novu_id(cls.id)), body.credentials)
        credentials = keep_unchanged_secrets(cls.config_model, normalize(cls.config_model, sent), stored)
        validate(cls.id, cls.config_model, credentials)
        row.credentials = cipher.seal(credentials)
    if body.active is not None:
        row.active = body.active
    await integration_store.save(session=session, row=row)
    await session.commit()
    return {"data": _dto(row, principal, channels, cipher)}


@router.delete("/{integrationId}")
async def delete_integration(
    key: IntegrationKey, principal: NativeAuth, session: SessionDep, channels: ChannelsDep, cipher: CipherDep
) -> Any:
    """Delete an integration; answers the remaining ones, as Novu does."""
    await integration_store.delete(session=session, row=await _load(session, principal, key))
    await session.commit()
    return await _all(session, principal, channels, cipher)


@router.post("/{integrationId}/set-primary")
async def set_primary_integration(
    key: IntegrationKey, principal: NativeAuth, session: SessionDep, channels: ChannelsDep, cipher: CipherDep
) -> Any:
    """Make this integration the primary of its channel (the previous primary stays active)."""
    row = await _load(session, principal, key)
    await integration_store.set_primary(session=session, row=row)
    await session.commit()
    return {"data": _dto(row, principal, channels, cipher)}
