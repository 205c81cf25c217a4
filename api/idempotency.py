"""``Idempotency-Key`` on POST and PATCH, as Novu honours it: one run per key, replays after it.

Pure ASGI, because the body must be hashed before the route reads it and the response copied while
it streams out. It sits inside BodyLimitMiddleware, so the limit applies while the body is buffered,
and inside RequestIdMiddleware, so replays and refusals carry a request id too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import KeyCache, resolve_principal
from api.error_handlers import render_error
from api.errors import ApiError
from store import idempotency as records
from store.engine import Sessions
from store.models import IdempotencyRecord

log = logging.getLogger("clarion.api.idempotency")

METHODS = frozenset({"POST", "PATCH"})
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
MAX_STORED_BODY = 1024 * 1024
# As in Novu: a crashed request blocks retries of its key for minutes, not for the whole TTL.
IN_FLIGHT_HOLD = timedelta(minutes=5)
REPLAYED_HEADERS = frozenset({"content-type"})
# A claim can be released between our failed insert and our read; retrying a few times settles it.
CLAIM_ATTEMPTS = 3


class IdempotencyMiddleware:
    """Runs a keyed POST/PATCH once per environment and key, and replays its stored response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _key_of(scope)
        state = getattr(scope.get("app"), "state", None)
        services = getattr(state, "services", None)
        if key is None or state is None or services is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        environment_id = await _environment_of(request, services.sessions, state.key_cache)
        if environment_id is None:
            # No valid key: the route refuses it, in its own words.
            await self.app(scope, receive, send)
            return
        if len(key) > MAX_KEY_LENGTH:
            message = f"{HEADER} has exceeded the maximum allowed length of {MAX_KEY_LENGTH} characters"
            fields = {HEADER: f"must be at most {MAX_KEY_LENGTH} characters"}
            await render_error(request, 400, message, fields)(scope, receive, send)
            return
        try:
            body = await read_body(receive)
        except HTTPException as exc:
            # Raised by BodyLimitMiddleware's receive: outside the route, so no handler renders it.
            headers = dict(exc.headers or {})
            await render_error(request, exc.status_code, str(exc.detail), headers=headers)(scope, receive, send)
            return
        if body is None:
            return  # the client left before sending its body; nobody is waiting for an answer
        exchange = _Exchange(
            request=request,
            sessions=services.sessions,
            environment_id=environment_id,
            key=key,
            record_key=_record_key(scope["path"], key),
            request_hash=_fingerprint(scope, body),
            ttl=timedelta(hours=state.settings.api.idempotency_ttl_hours),
        )
        receive = replaying(body, receive)
        try:
            answer = await exchange.claim()
        except Exception:
            # Like Novu: a failing idempotency store must not take the whole API down with it.
            log.warning("idempotency store unavailable; serving %s without it", scope["path"], exc_info=True)
            await self.app(scope, receive, send)
            return
        if answer is not None:
            await answer(scope, receive, send)
            return
        await exchange.run(self.app, scope, receive, send)


@dataclass
class _Exchange:
    """One keyed request: its claim on the key, and the response it stores or releases."""

    request: Request
    sessions: Sessions
    environment_id: uuid.UUID
    key: str
    request_hash: str
    ttl: timedelta
    claimed_at: datetime | None = None
    status: int = 0
    content_type: str | None = None
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    storable: bool = True
    settled: bool = False
    # The stored key: stream publishes are keyed per topic (event-apis.md §2.4), the rest per environment.
    record_key: str = ""

    async def claim(self) -> Response | None:
        """None when this request now owns the key; else the answer for a duplicate."""
        for _ in range(CLAIM_ATTEMPTS):
            now = datetime.now(UTC)
            async with self.sessions() as session, session.begin():
                won = await records.claim(
                    session=session,
                    environment_id=self.environment_id,
                    key=self.record_key or self.key,
                    request_hash=self.request_hash,
                    now=now,
                    hold_until=now + IN_FLIGHT_HOLD,
                )
                if won:
                    self.claimed_at = now
                    return None
                record = await records.get(
                    session=session, environment_id=self.environment_id, key=self.record_key or self.key
                )
            if record is not None:
                return self._answer(record)
        return self._in_flight()

    def _answer(self, record: IdempotencyRecord) -> Response:
        # Novu checks "in flight" before "same body": a retry racing its original gets 409 either way.
        if record.status_code is None:
            return self._in_flight()
        if record.request_hash != self.request_hash:
            message = f'Request with key "{self.key}" is being reused for a different body'
            fields = {HEADER: "was already used for a different request"}
            return render_error(self.request, 422, message, fields, headers={HEADER: self.key})
        stored = record.response if isinstance(record.response, dict) else {}
        headers = stored.get("headers")
        replayed = {k: str(v) for k, v in headers.items() if k in REPLAYED_HEADERS} if isinstance(headers, dict) else {}
        replayed.update({HEADER: self.key, "Idempotency-Replay": "true"})
        return Response(str(stored.get("body", "")).encode(), status_code=record.status_code, headers=replayed)

    def _in_flight(self) -> Response:
        message = f'Request with key "{self.key}" is currently being processed. Please retry after 1 second'
        return render_error(self.request, 409, message, headers={"Retry-After": "1", HEADER: self.key})

    async def run(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[HEADER] = self.key
                self.status = message["status"]
                self.content_type = headers.get("content-type")
            elif message["type"] == "http.response.body":
                self._keep(message.get("body", b""))
                # Stored before the client sees the end, so an immediate retry already replays.
                if not message.get("more_body", False):
                    await self._settle()
            else:
                self.storable = False
            await send(message)

        try:
            await app(scope, receive, capture)
        finally:
            await self._settle(failed=True)

    def _keep(self, chunk: bytes) -> None:
        if not self.storable:
            return
        self.size += len(chunk)
        if self.size > MAX_STORED_BODY:
            self.storable, self.chunks = False, []
        else:
            self.chunks.append(chunk)

    async def _settle(self, *, failed: bool = False) -> None:
        """Store the response, or release the key so a retry runs again; never raises."""
        if self.settled or self.claimed_at is None:
            return
        self.settled = True
        response = None if failed or self.status >= 500 or not self.storable else _storable(self)
        env, key, claimed_at = self.environment_id, self.record_key or self.key, self.claimed_at
        try:
            # Shielded: a cancelled request must still release its key, or retries wait minutes.
            with anyio.CancelScope(shield=True):
                async with self.sessions() as session, session.begin():
                    if response is None:
                        await records.release(session=session, environment_id=env, key=key, claimed_at=claimed_at)
                    else:
                        await records.complete(
                            session=session,
                            environment_id=env,
                            key=key,
                            claimed_at=claimed_at,
                            status_code=self.status,
                            response=response,
                            expires_at=datetime.now(UTC) + self.ttl,
                        )
        except Exception:
            log.warning("could not settle idempotency key %r", self.key, exc_info=True)


def _storable(exchange: _Exchange) -> dict[str, Any] | None:
    """What a replay needs, if the response is JSON (or empty); None otherwise."""
    body = b"".join(exchange.chunks)
    media = (exchange.content_type or "").split(";")[0].strip().lower()
    if body:
        if media != "application/json" and not media.endswith("+json"):
            return None
        try:
            text = body.decode("utf-8")
            json.loads(text)
        except ValueError:
            return None
    else:
        text = ""
    # The text, not the parsed value: JSONB reorders keys, and a replay should be byte-identical.
    headers = {"content-type": exchange.content_type} if exchange.content_type else {}
    return {"body": text, "headers": headers}


def _key_of(scope: Scope) -> str | None:
    # novu-py sends a fresh key on every request, GETs included: only writes are worth a record.
    if scope["type"] != "http" or scope["method"] not in METHODS:
        return None
    for name, value in scope.get("headers") or []:
        if name.lower() == b"idempotency-key":
            return value.decode("latin-1").strip() or None
    return None


async def _environment_of(request: Request, sessions: Sessions, cache: KeyCache) -> uuid.UUID | None:
    try:
        async with sessions() as session:
            principal = await resolve_principal(request, session, cache)
    except ApiError:
        return None
    except Exception:
        log.warning("could not resolve the caller of %s", request.url.path, exc_info=True)
        return None
    return principal.environment_id


async def read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """Hands the buffered body to the route once, then the real channel (for disconnects)."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


_STREAM_PUBLISH = re.compile(r"^/api/(?:v1/|pubsub/)(?:batch/)?topics/([^/]+)/publish/?$")


def _record_key(path: str, key: str) -> str:
    """Per topic for stream publishes (hashed when the prefix would overflow the column); else the key."""
    match = _STREAM_PUBLISH.match(path)
    if match is None:
        return key
    scoped = f"stream:{match.group(1)}:{key}"
    return scoped if len(scoped) <= MAX_KEY_LENGTH else "stream:" + hashlib.sha256(scoped.encode()).hexdigest()


def _fingerprint(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), body):
        # Length-prefixed, so moving bytes between parts changes the hash.
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()
