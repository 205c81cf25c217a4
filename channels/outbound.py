"""The one HTTP sender for every outgoing webhook-like request.

Webhook URLs come from tenants, so every request is a potential SSRF. The sender resolves the
host once, refuses the request unless *every* address is public (``channels.addresses``), and
then connects to the checked address itself: the request goes to the IP literal with the
original ``Host`` header and, for https, the ``sni_hostname`` extension httpcore uses for SNI and
certificate verification. A DNS answer that changes between the check and the connect (DNS
rebinding) therefore never reaches the socket. Redirects are never followed, because the
target of a redirect was never checked.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from ssl import SSLContext

import httpx

from channels.addresses import ALLOW_PRIVATE_SETTING, BlockedAddress, parse_ip, refuse_private
from channels.errors import PermanentDeliveryError, RetryableDeliveryError

__all__ = [
    "ALLOW_PRIVATE_SETTING",
    "BlockedAddress",
    "OutboundResponse",
    "OutboundSender",
    "Resolver",
    "resolve",
    "retry_after",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""``(host, port) -> addresses``: the IP literals a hostname resolves to, in connect order."""


@dataclass(frozen=True)
class OutboundResponse:
    """What the receiver answered.

    Attributes:
        status: The HTTP status code (a 3xx is returned as is, never followed).
        headers: The response headers, looked up case-insensitively.
        excerpt: The first ``excerpt_bytes`` of the body, decoded as UTF-8 with replacement.
        retry_after: Seconds from ``Retry-After`` (capped), or None when absent or unreadable.
        elapsed_ms: Wall time of the whole call, resolution included.
    """

    status: int
    headers: Mapping[str, str]
    excerpt: str
    retry_after: float | None
    elapsed_ms: int

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300


async def resolve(host: str, port: int) -> list[str]:
    """The addresses of ``host`` from the running loop's resolver, duplicates removed."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def retry_after(
    source: httpx.Response | Mapping[str, str], cap: float | None = None, *, now: datetime | None = None
) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date), at most ``cap``.

    A date in the past gives 0; a missing or unreadable value gives None.
    """
    headers = source.headers if isinstance(source, httpx.Response) else source
    raw = next((v for k, v in headers.items() if k.lower() == "retry-after"), "").strip()
    seconds: float
    if raw.isascii() and raw.isdigit():
        seconds = float(raw)
    else:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        # RFC 9110 dates are GMT; a "-0000" zone parses naive and means the same.
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        seconds = max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    return seconds if cap is None else min(seconds, cap)


@cache
def _default_tls() -> SSLContext:
    # Loading the CA bundle costs milliseconds; one context serves every per-call client.
    return httpx.create_ssl_context()


@cache
def _http2_tls() -> SSLContext:
    # httpcore sets ALPN on the context at every connect; HTTP/2 calls get their own context so
    # they never change what HTTP/1.1 calls offer.
    return httpx.create_ssl_context()


@dataclass(frozen=True)
class _Target:
    url: httpx.URL
    host: str  # ASCII (IDNA) host, what the resolver and SNI see
    port: int
    literal: bool


def _target(url: str) -> _Target:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise PermanentDeliveryError(f"invalid URL: {exc}") from exc
    if parsed.scheme not in _DEFAULT_PORTS:
        raise PermanentDeliveryError(f"refused: only http and https URLs may be called, not {url[:100]!r}")
    if parsed.userinfo:
        # Credentials in the URL would be sent as Basic auth and also leak into logs and feeds.
        raise PermanentDeliveryError("refused: the URL carries user:password@ credentials; send them as a header")
    if not parsed.host:
        raise PermanentDeliveryError(f"refused: the URL has no host: {url[:100]!r}")
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or _DEFAULT_PORTS[parsed.scheme]
    return _Target(parsed, host, port, parse_ip(host) is not None)


class OutboundSender:
    """Sends one checked, pinned, non-redirecting HTTP request at a time.

    Args:
        allow_private: Let requests reach private, loopback and other non-public addresses;
            only for dev (``CLARION_ALLOW_PRIVATE_ADDRESSES``). Resolution stays pinned.
        client: A client to reuse. Without one, each call opens and closes its own, which
            ignores proxy environment variables: httpcore's CONNECT tunnel does not pass
            ``sni_hostname`` on, so pinned https through a proxy would verify the IP instead.
        resolver: Replaces :func:`resolve`, e.g. in tests.
    """

    def __init__(
        self, *, allow_private: bool = False, client: httpx.AsyncClient | None = None, resolver: Resolver | None = None
    ) -> None:
        self.allow_private = allow_private
        self.client = client
        self.resolver: Resolver = resolver or resolve

    async def check(self, url: str) -> list[str]:
        """The addresses ``post`` would use for ``url``; raises as ``post`` does before connecting."""
        return await self._addresses(_target(url))

    async def post(
        self,
        url: str,
        *,
        content: bytes,
        headers: Mapping[str, str],
        timeout: float,
        connect_timeout: float | None = None,
        excerpt_bytes: int = 4096,
        retry_after_cap: float | None = None,
        http2: bool = False,
    ) -> OutboundResponse:
        """POST ``content`` once; ``timeout`` bounds the whole call, resolution included.

        ``http2`` speaks HTTP/2 only (ALPN over TLS, prior knowledge over plain http), for remotes
        such as APNs that accept nothing else; such a call always uses a client of its own.

        Raises:
            BlockedAddress: The target is not a public address and private ones are not allowed.
            PermanentDeliveryError: The URL is invalid, not http(s), has credentials or no host.
            RetryableDeliveryError: Resolution, connection or transfer failed, or time ran out.
        """
        target = _target(url)
        started = time.monotonic()
        limits = httpx.Timeout(timeout, connect=connect_timeout if connect_timeout is not None else timeout)
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._addresses(target)
                async with self._client(http2) as client:
                    response, excerpt = await self._exchange(
                        client, target, addresses, content, headers, limits, excerpt_bytes, http2
                    )
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise RetryableDeliveryError(f"timed out after {timeout}s: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise RetryableDeliveryError(f"transport error: {type(exc).__name__}: {exc}") from exc
        except httpx.InvalidURL as exc:
            raise PermanentDeliveryError(f"invalid URL: {exc}") from exc
        return OutboundResponse(
            status=response.status_code,
            headers=httpx.Headers(response.headers),
            excerpt=excerpt,
            retry_after=retry_after(response.headers, retry_after_cap),
            elapsed_ms=int((time.monotonic() - started) * 1000),
        )

    async def _addresses(self, target: _Target) -> list[str]:
        if target.literal:
            addresses = [target.host]
        else:
            try:
                addresses = list(await self.resolver(target.host, target.port))
            except OSError as exc:
                raise RetryableDeliveryError(f"could not resolve {target.host}: {exc}") from exc
            if not addresses:
                raise RetryableDeliveryError(f"could not resolve {target.host}: no addresses")
            if any(parse_ip(address) is None for address in addresses):
                # Connecting to a name would resolve it again and undo the pinning.
                raise ValueError(f"the resolver answered something other than IP addresses: {addresses}")
        if not self.allow_private:
            refuse_private(target.host, addresses)
        return addresses

    @asynccontextmanager
    async def _client(self, http2: bool = False) -> AsyncIterator[httpx.AsyncClient]:
        if http2:
            async with httpx.AsyncClient(verify=_http2_tls(), trust_env=False, http1=False, http2=True) as client:
                yield client
            return
        if self.client is not None:
            yield self.client
            return
        async with httpx.AsyncClient(verify=_default_tls(), trust_env=False) as client:
            yield client

    async def _exchange(
        self,
        client: httpx.AsyncClient,
        target: _Target,
        addresses: list[str],
        content: bytes,
        headers: Mapping[str, str],
        limits: httpx.Timeout,
        excerpt_bytes: int,
        http2: bool = False,
    ) -> tuple[httpx.Response, str]:
        sent = httpx.Headers(headers)
        sent["Host"] = target.url.netloc.decode("ascii")
        # A compressed body could inflate without bound before the excerpt limit applies.
        sent.setdefault("Accept-Encoding", "identity")
        extensions: dict[str, str] = {}
        if target.url.scheme == "https" and not target.literal:
            extensions["sni_hostname"] = target.host
        if extensions and not http2:
            # HTTP/2 forbids connection headers, and an HTTP/2 call's client is never shared.
            # The pool keys connections by IP and port only; reusing one for another hostname on
            # the same IP would send this request over TLS verified for a different name.
            sent["Connection"] = "close"
        failure: httpx.TransportError | None = None
        for address in addresses:
            request = client.build_request(
                "POST",
                target.url.copy_with(host=address),
                content=content,
                headers=sent,
                timeout=limits,
                extensions=extensions,
            )
            try:
                response = await client.send(request, stream=True, follow_redirects=False)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Nothing was sent yet, so trying the next checked address cannot deliver twice.
                failure = exc
                continue
            try:
                return response, await _excerpt(response, excerpt_bytes)
            finally:
                await response.aclose()
        assert failure is not None  # addresses is never empty
        raise failure


async def _excerpt(response: httpx.Response, limit: int) -> str:
    data = bytearray()
    if limit > 0:
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) >= limit:
                break  # the rest of a large answer is never read
    return bytes(data[:limit]).decode("utf-8", "replace")
