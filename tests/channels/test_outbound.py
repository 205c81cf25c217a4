"""The outbound sender against a real local listener: the SSRF guard, pinning, redirects, Retry-After."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import socket
import ssl
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
import standardwebhooks
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from channels.addresses import SPECIAL_PURPOSE_V4, SPECIAL_PURPOSE_V6, refusal_reason
from channels.errors import PermanentDeliveryError, RetryableDeliveryError
from channels.outbound import ALLOW_PRIVATE_SETTING, BlockedAddress, OutboundSender, retry_after
from channels.signing import generate_secret, qflow_signature, secret_key, signature_headers, standard_headers

HOOK_HOST = "hooks.example.test"


@dataclass
class Seen:
    peer: str
    request_line: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Listener:
    """An HTTP/1.1 listener on 127.0.0.1 that counts connections and answers one canned reply."""

    status: int = 200
    reply_headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0
    connections: int = 0
    seen: list[Seen] = field(default_factory=list)
    sni: list[str | None] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.seen.append(Seen(writer.get_extra_info("peername")[0], head[0], headers, body))
            await asyncio.sleep(self.delay)
            lines = [f"HTTP/1.1 {self.status} Canned", f"content-length: {len(self.body)}", "connection: close"]
            lines += [f"{k}: {v}" for k, v in self.reply_headers.items()]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + self.body)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    server_state = Listener()
    server = await asyncio.start_server(server_state.handle, "127.0.0.1", 0)
    server_state.port = server.sockets[0].getsockname()[1]
    yield server_state
    server.close()
    await server.wait_closed()


@pytest.fixture
def unused_port() -> int:
    """A port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FakeResolver:
    """Answers fixed addresses and records every lookup."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = list(addresses)
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls.append((host, port))
        return self.addresses


def recording_client(seen: list[httpx.Request], status: int = 200) -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, text="mock")

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


# --- the guard ------------------------------------------------------------------------------

REFUSED = [
    # IPv4 special-purpose registry, edges included
    "0.0.0.0", "0.1.2.3", "0.255.255.255", "10.0.0.0", "10.255.255.255", "100.64.0.0", "100.100.100.200",
    "100.127.255.255", "127.0.0.1", "127.255.255.254", "169.254.0.1", "169.254.169.254", "172.16.0.0",
    "172.31.255.255", "192.0.0.0", "192.0.0.8", "192.0.0.255", "192.0.2.1", "192.88.99.1", "192.168.0.1",
    "192.168.255.255", "198.18.0.0", "198.19.255.255", "198.51.100.7", "203.0.113.9", "224.0.0.1",
    "239.255.255.250", "240.0.0.1", "254.255.255.255", "255.255.255.255",
    # IPv6
    "::", "::1", "::127.0.0.1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::a00:1", "64:ff9b:1::808:808", "100::1", "100::ffff",
    "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:2::1", "2001:10::1", "2001:20::1",
    "2001:1ff::1", "2001:db8::1", "2001:db8:ffff::1",
    "2002:c000:204::1", "2002:808:808::1", "3fff::1", "fc00::1", "fd12:3456:789a::1", "fd00:ec2::254",
    "fe80::1", "fe80::1%eth0", "[fe80::1%25eth0]", "febf::1", "fec0::1", "ff02::1", "ff0e::1", "4000::1",
]
ALLOWED = [
    "8.8.8.8", "1.1.1.1", "2606:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808",
    "9.255.255.255", "11.0.0.1", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0",
    "192.0.1.255", "192.0.3.0", "192.169.0.0", "198.17.255.255", "198.20.0.0", "223.255.255.255", "2001:200::1",
]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert refusal_reason(address) is not None


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal_reason(address) is None


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("127.0.0.1", "loopback"),
        ("169.254.169.254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("100.64.1.1", "carrier-grade NAT"),
        ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1, a loopback"),
        ("64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254"),
        ("64:ff9b:1::1", "local-use NAT64"),
        ("fe80::1%eth0", "link-local"),
        ("2001::1", "Teredo"),
        ("2002::1", "6to4"),
    ],
)
def test_refusals_say_why(address: str, words: str) -> None:
    assert words in (refusal_reason(address) or "")


def test_the_tables_hold_the_registry_blocks_the_brief_names() -> None:
    v4 = {str(net) for net, _ in SPECIAL_PURPOSE_V4}
    v6 = {str(net) for net, _ in SPECIAL_PURPOSE_V6}
    assert {"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
            "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
            "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32"} <= v4
    assert {"::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:db8::/32", "2002::/16",
            "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8"} <= v6


def test_refusal_reason_rejects_a_hostname() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        refusal_reason("localhost")


@pytest.mark.parametrize("path", ["http://127.0.0.1:{port}/", "http://localhost:{port}/", "http://169.254.169.254/"])
async def test_production_mode_refuses_private_targets_without_connecting(listener: Listener, path: str) -> None:
    sender = OutboundSender()
    with pytest.raises(BlockedAddress) as caught:
        await sender.post(path.format(port=listener.port), content=b"{}", headers={}, timeout=2)
    assert listener.connections == 0
    assert ALLOW_PRIVATE_SETTING in caught.value.message
    assert "loopback" in caught.value.message or "metadata" in caught.value.message
    assert caught.value.provider_code == "blocked_address"
    assert isinstance(caught.value, PermanentDeliveryError)


async def test_the_refusal_message_names_the_host_and_the_address() -> None:
    sender = OutboundSender(resolver=FakeResolver("10.1.2.3"))
    with pytest.raises(BlockedAddress, match=r"refused: hooks\.example\.test resolves to 10\.1\.2\.3, which is a priv"):
        await sender.post(f"https://{HOOK_HOST}/", content=b"", headers={}, timeout=2)


async def test_one_private_answer_among_public_ones_is_refused() -> None:
    seen: list[httpx.Request] = []
    async with recording_client(seen) as client:
        sender = OutboundSender(client=client, resolver=FakeResolver("8.8.8.8", "10.0.0.1"))
        with pytest.raises(BlockedAddress, match=r"10\.0\.0\.1"):
            await sender.post(f"https://{HOOK_HOST}/", content=b"", headers={}, timeout=2)
    assert seen == []


async def test_a_public_answer_is_pinned_with_host_header_and_sni() -> None:
    seen: list[httpx.Request] = []
    resolver = FakeResolver("93.184.215.14")
    async with recording_client(seen) as client:
        sender = OutboundSender(client=client, resolver=resolver)
        answer = await sender.post(f"https://{HOOK_HOST}/in?x=1", content=b"{}", headers={"X-A": "b"}, timeout=2)
    assert answer.status == 200 and answer.excerpt == "mock"
    [request] = seen
    assert str(request.url) == "https://93.184.215.14/in?x=1"
    assert request.headers["host"] == HOOK_HOST
    assert request.headers["x-a"] == "b"
    assert request.extensions["sni_hostname"] == HOOK_HOST
    assert resolver.calls == [(HOOK_HOST, 443)]


async def test_a_resolver_must_answer_ip_addresses() -> None:
    with pytest.raises(ValueError, match="other than IP addresses"):
        await OutboundSender(allow_private=True, resolver=FakeResolver("evil.example")).post(
            f"http://{HOOK_HOST}/", content=b"", headers={}, timeout=2
        )


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "file:///etc/passwd", "http://user:pw@example.com/", "http:///path", "no-scheme"]
)
async def test_urls_that_are_not_plain_http_targets_are_refused(url: str) -> None:
    resolver = FakeResolver("8.8.8.8")
    with pytest.raises(PermanentDeliveryError) as caught:
        await OutboundSender(resolver=resolver).post(url, content=b"", headers={}, timeout=2)
    assert not isinstance(caught.value, BlockedAddress)
    assert resolver.calls == []


# --- real requests (dev mode) -------------------------------------------------------------


async def test_dev_mode_reaches_the_listener(listener: Listener) -> None:
    listener.status, listener.body = 201, b"accepted \xe2\x9c\x93"
    sender = OutboundSender(allow_private=True)
    answer = await sender.post(
        f"http://127.0.0.1:{listener.port}/hook", content=b'{"a":1}', headers={"X-Sig": "v1,abc"}, timeout=5
    )
    assert (answer.status, answer.excerpt, answer.is_success) == (201, "accepted \u2713", True)
    assert answer.headers["Content-Length"] == str(len(listener.body))
    assert answer.retry_after is None and answer.elapsed_ms >= 0
    [seen] = listener.seen
    assert seen.request_line == "POST /hook HTTP/1.1"
    assert (seen.body, seen.headers["x-sig"]) == (b'{"a":1}', "v1,abc")
    assert seen.headers["accept-encoding"] == "identity"  # no decompression before the excerpt cut
    assert listener.connections == 1


async def test_resolution_is_pinned_to_the_checked_address(listener: Listener) -> None:
    resolver = FakeResolver("127.0.0.1")
    sender = OutboundSender(allow_private=True, resolver=resolver)
    answer = await sender.post(f"http://{HOOK_HOST}:{listener.port}/p", content=b"x", headers={}, timeout=5)
    assert answer.status == 200
    [seen] = listener.seen
    assert seen.headers["host"] == f"{HOOK_HOST}:{listener.port}"
    assert seen.peer == "127.0.0.1"
    assert resolver.calls == [(HOOK_HOST, listener.port)]


async def test_a_refused_connection_falls_through_to_the_next_checked_address(listener: Listener) -> None:
    resolver = FakeResolver("::1", "127.0.0.1")  # nothing listens on [::1]:port
    answer = await OutboundSender(allow_private=True, resolver=resolver).post(
        f"http://{HOOK_HOST}:{listener.port}/", content=b"", headers={}, timeout=5
    )
    assert answer.status == 200 and len(listener.seen) == 1
    assert resolver.calls == [(HOOK_HOST, listener.port)]


@pytest.mark.parametrize("follow", [False, True])
async def test_redirects_are_returned_not_followed(listener: Listener, follow: bool) -> None:
    listener.status = 302
    listener.reply_headers = {"location": f"http://127.0.0.1:{listener.port}/elsewhere"}
    async with httpx.AsyncClient(follow_redirects=follow) as client:
        answer = await OutboundSender(allow_private=True, client=client).post(
            f"http://127.0.0.1:{listener.port}/start", content=b"", headers={}, timeout=5
        )
    assert answer.status == 302
    assert answer.headers["location"].endswith("/elsewhere")
    assert [s.request_line for s in listener.seen] == ["POST /start HTTP/1.1"]


async def test_the_excerpt_is_cut_to_the_limit(listener: Listener) -> None:
    listener.body = b"a" * 10_000
    answer = await OutboundSender(allow_private=True).post(
        f"http://127.0.0.1:{listener.port}/", content=b"", headers={}, timeout=5, excerpt_bytes=16
    )
    assert answer.excerpt == "a" * 16


async def test_reading_stops_at_the_excerpt_of_an_endless_answer() -> None:
    handlers: set[asyncio.Task[None]] = set()

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.add(asyncio.current_task())  # type: ignore[arg-type]  # never None inside a handler
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100000000\r\n\r\n" + b"b" * 20_000)
        await writer.drain()
        try:
            await asyncio.sleep(10)  # the rest never comes; reading on would time out
        finally:
            writer.close()

    server = await asyncio.start_server(endless, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        answer = await OutboundSender(allow_private=True).post(
            f"http://127.0.0.1:{port}/", content=b"", headers={}, timeout=2, excerpt_bytes=4096
        )
    finally:
        server.close()
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()
    assert answer.excerpt == "b" * 4096


async def test_the_timeout_bounds_resolution_too() -> None:
    async def slow(host: str, port: int) -> Sequence[str]:
        await asyncio.sleep(5)
        return ["8.8.8.8"]

    started = time.monotonic()
    with pytest.raises(RetryableDeliveryError, match="timed out"):
        await OutboundSender(resolver=slow).post(f"https://{HOOK_HOST}/", content=b"", headers={}, timeout=0.2)
    assert time.monotonic() - started < 2


async def test_retry_after_comes_back_capped(listener: Listener) -> None:
    listener.status, listener.reply_headers = 503, {"retry-after": "120"}
    sender = OutboundSender(allow_private=True)
    url = f"http://127.0.0.1:{listener.port}/"
    assert (await sender.post(url, content=b"", headers={}, timeout=5)).retry_after == 120.0
    assert (await sender.post(url, content=b"", headers={}, timeout=5, retry_after_cap=30)).retry_after == 30.0


async def test_a_closed_port_is_retryable(unused_port: int) -> None:
    with pytest.raises(RetryableDeliveryError, match="ConnectError"):
        await OutboundSender(allow_private=True).post(
            f"http://127.0.0.1:{unused_port}/", content=b"", headers={}, timeout=5
        )


async def test_a_slow_receiver_times_out_retryably(listener: Listener) -> None:
    listener.delay = 3
    started = time.monotonic()
    with pytest.raises(RetryableDeliveryError, match="timed out"):
        await OutboundSender(allow_private=True).post(
            f"http://127.0.0.1:{listener.port}/", content=b"", headers={}, timeout=0.3
        )
    assert time.monotonic() - started < 2


async def test_a_name_that_does_not_resolve_is_retryable() -> None:
    async def broken(host: str, port: int) -> Sequence[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(RetryableDeliveryError, match="could not resolve"):
        await OutboundSender(resolver=broken).post(f"https://{HOOK_HOST}/", content=b"", headers={}, timeout=2)


# --- https: the name is verified although the socket goes to the IP -----------------------


def _certificate(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOOK_HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOOK_HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


async def test_https_is_pinned_yet_verifies_the_hostname(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    state = Listener(body=b"secure")
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)

    def record_sni(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        state.sni.append(name)

    server_tls.sni_callback = record_sni
    server = await asyncio.start_server(state.handle, "127.0.0.1", 0, ssl=server_tls)
    port = server.sockets[0].getsockname()[1]
    resolver = FakeResolver("127.0.0.1")
    try:
        # The certificate names only the host, so this verifies only if SNI/verification use it.
        async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=str(cert))) as client:
            sender = OutboundSender(allow_private=True, client=client, resolver=resolver)
            answer = await sender.post(f"https://{HOOK_HOST}:{port}/", content=b"", headers={}, timeout=5)
    finally:
        server.close()
        await server.wait_closed()
    assert (answer.status, answer.excerpt) == (200, "secure")
    assert state.sni == [HOOK_HOST]
    assert state.seen[0].headers["host"] == f"{HOOK_HOST}:{port}"
    assert resolver.calls == [(HOOK_HOST, port)]


# --- Retry-After parsing ------------------------------------------------------------------

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("headers", "cap", "expected"),
    [
        ({"Retry-After": "120"}, None, 120.0),
        ({"retry-after": " 7 "}, None, 7.0),
        ({"Retry-After": "120"}, 60.0, 60.0),
        ({"Retry-After": format_datetime(NOW + dt.timedelta(seconds=90), usegmt=True)}, None, 90.0),
        ({"Retry-After": format_datetime(NOW + dt.timedelta(hours=2), usegmt=True)}, 300.0, 300.0),
        ({"Retry-After": format_datetime(NOW - dt.timedelta(hours=1), usegmt=True)}, None, 0.0),
        ({"Retry-After": "Sat, 01 Mar 2025 12:00:30 -0000"}, None, 30.0),
        ({"Retry-After": "-5"}, None, None),
        ({"Retry-After": "\u0661\u0662"}, None, None),  # non-ASCII digits are not delta-seconds
        ({"Retry-After": "soon"}, None, None),
        ({"Retry-After": ""}, None, None),
        ({}, None, None),
    ],
)
def test_retry_after_reads_seconds_and_dates(
    headers: dict[str, str], cap: float | None, expected: float | None
) -> None:
    assert retry_after(headers, cap, now=NOW) == expected


def test_retry_after_accepts_a_response() -> None:
    assert retry_after(httpx.Response(429, headers={"Retry-After": "3"})) == 3.0


# --- signing ----------------------------------------------------------------------------------


def test_standard_headers_verify_with_the_reference_library() -> None:
    secret = generate_secret()
    body = json.dumps({"type": "t", "data": {"ü": 1}}, ensure_ascii=False)
    headers = standard_headers(secret, webhook_id="msg_1", timestamp_s=int(time.time()), body=body)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert standardwebhooks.Webhook(secret).verify(body.encode(), headers) == {"type": "t", "data": {"ü": 1}}
    assert standard_headers(secret, webhook_id="msg_1", timestamp_s=5, body=body) == standard_headers(
        secret, webhook_id="msg_1", timestamp_s=5, body=body.encode()
    )


def test_signature_headers_sign_with_every_secret_and_qflow() -> None:
    old, new = generate_secret(), generate_secret()
    headers = signature_headers([new, old], webhook_id="msg_2", body=b"{}", now_ms=1_700_000_000_123, qflow=True)
    assert headers["webhook-timestamp"] == "1700000000"
    assert len(headers["webhook-signature"].split(" ")) == 2
    expected = hmac.new(secret_key(new), b"msg_2.1700000000123.{}", hashlib.sha256).hexdigest()
    assert headers["Qflow-Signature"].split(",")[0] == f"sha256={expected}"
    assert qflow_signature(new, "msg_2", 1_700_000_000_123, b"{}") == f"sha256={expected}"


@pytest.mark.parametrize("secret", ["nope", "whsec_!!!", "whsec_" + base64.b64encode(b"short").decode()])
def test_bad_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ValueError):
        secret_key(secret)


def test_ipv4_mapped_addresses_follow_their_embedded_address() -> None:
    for net, _ in SPECIAL_PURPOSE_V4:
        mapped = ipaddress.IPv6Address(f"::ffff:{net.network_address}")
        assert refusal_reason(mapped) is not None, net
