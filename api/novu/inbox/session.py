"""``POST /v1/inbox/session``: the Inbox's first call, which upserts the subscriber and issues its session token."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from fastapi import APIRouter, Request

from api.deps import SessionDep
from api.errors import BadRequest
from api.novu.inbox.auth import check_origin
from api.novu.inbox.schemas import (
    MAX_SNOOZE_DURATION_HOURS,
    SessionDto,
    SessionEnvelope,
    SessionRequest,
    UnreadCountDto,
)
from api.operations.lifecycle import EmitCommitted
from store import inbox_counts, inbox_sessions, session_tokens, subscribers
from store.crypto import CredentialCipher, UnreadableCredentials

router = APIRouter(prefix="/v1/inbox", tags=["session-inbox"], dependencies=[EmitCommitted])


def subscriber_hash(api_key: str, subscriber_id: str) -> str:
    """What Novu computes for ``subscriberHash``: HMAC-SHA256 of the subscriberId keyed with the API key, in hex."""
    return hmac.new(api_key.encode(), subscriber_id.encode(), hashlib.sha256).hexdigest()


def _hash_matches(cipher: CredentialCipher, sealed: list[str], subscriber_id: str, given: str) -> bool:
    for token in sealed:
        try:
            key = cipher.open_secret(token)
        except UnreadableCredentials:
            continue  # sealed under another secret key: it can prove nothing
        if key and hmac.compare_digest(subscriber_hash(key, subscriber_id), given.strip().lower()):
            return True
    return False


@router.post("/session", status_code=201, response_model=SessionEnvelope, response_model_by_alias=True,
             response_model_exclude_none=True)  # fmt: skip
async def start_session(body: SessionRequest, request: Request, session: SessionDep) -> Any:
    """Upsert the subscriber and answer with a session token for its inbox (Novu's ``SubscriberSessionResponseDto``).

    In HMAC mode ``subscriberHash`` must be HMAC-SHA256(subscriberId) keyed with one of the environment's API keys.
    """
    env = await inbox_sessions.by_application_identifier(session=session, identifier=body.application_identifier)
    if env is None:
        raise BadRequest("Please provide a valid app identifier",
                         field_errors={"applicationIdentifier": "names no environment"})  # fmt: skip
    check_origin(request, env)
    profile: dict[str, Any] = {}
    if isinstance(body.subscriber, str):
        subscriber_id = body.subscriber
    elif body.subscriber is not None:
        subscriber_id, profile = body.subscriber.subscriber_id, body.subscriber.profile()
    elif body.subscriber_id is not None:
        subscriber_id = body.subscriber_id
    else:
        raise BadRequest("subscriber or subscriberId is required", field_errors={"subscriber": "required"})
    if inbox_sessions.hmac_required(env):
        sealed = await inbox_sessions.sealed_keys(session=session, environment_id=env.id)
        if not body.subscriber_hash or not _hash_matches(request.app.state.cipher, sealed, subscriber_id,
                                                         body.subscriber_hash):  # fmt: skip
            raise BadRequest("Please provide a valid HMAC hash", field_errors={"subscriberHash": "does not match"})
    found = await subscribers.upsert_many(session=session, environment_id=env.id, profiles={subscriber_id: profile})
    subscriber = found[subscriber_id]
    issued = await session_tokens.mint(
        session=session, environment_id=env.id, subscriber_id=subscriber_id,
        ttl_seconds=session_tokens.MAX_TTL_SECONDS,
    )  # fmt: skip
    identifier = await inbox_sessions.application_identifier(session=session, env=env)
    severity = await inbox_counts.unread_by_severity(
        session=session, environment_id=env.id, subscriber_pk=subscriber.id
    )
    await session.commit()
    total = sum(severity.values())
    return SessionEnvelope(data=SessionDto(
        token=issued.raw, total_unread_count=total, unread_count=UnreadCountDto(total=total, severity=severity),
        remove_novu_branding=True, max_snooze_duration_hours=MAX_SNOOZE_DURATION_HOURS,
        is_development_mode=env.slug == inbox_sessions.DEVELOPMENT_SLUG, application_identifier=identifier,
    ))  # fmt: skip
