"""Inputs that used to answer 500: unbounded paging, long or unencodable strings, deep or
non-finite JSON. Each now answers the dialect's 400/422 with the field named."""

from __future__ import annotations

import pytest

from api.json_body import MAX_DEPTH, JsonBodyError, parse_json

DEEP = "[" * 10_000 + "]" * 10_000


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (DEEP, "nested deeper"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested deeper"),
        ('{"a": "\\ud800"}', "lone surrogate"),
        ('{"\\udfff": 1}', "lone surrogate"),
        ('{"a": NaN}', "NaN"),
        ('{"a": 1e400}', "out of range"),
        ("-Infinity", "Infinity"),
    ],
)
def test_parser_refuses_what_nothing_after_it_could_use(raw: str, reason: str) -> None:
    with pytest.raises(JsonBodyError, match=reason) as caught:
        parse_json(raw.encode())
    assert caught.value.structural


def test_parser_keeps_pairs_and_plain_depth() -> None:
    assert parse_json('{"a": "\\ud83d\\ude00"}') == {"a": "\U0001F600"}
    nested = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_json(nested.encode()) is not None
    with pytest.raises(JsonBodyError) as caught:
        parse_json(b"{")
    assert not caught.value.structural  # a syntax error: each face words it


@pytest.mark.parametrize(
    "url",
    [
        "/v1/layouts?page=9223372036854775807",
        "/v1/layouts?page=inf",
        "/v1/layouts?page=nan",
        "/v1/layouts?orderBy=1e308",
        "/v2/workflows?offset=1e308",
        "/v2/workflows?offset=inf",
        "/v1/subscribers?page=9223372036854775807",
        "/v1/tenants?page=9223372036854775807",
        "/v1/topics?page=1e300",
    ],
)
async def test_paging_parameters_have_upper_bounds(native_api, url: str) -> None:
    response = await native_api.client.get(url, headers=native_api.headers_a)
    assert response.status_code == 422, response.text
    assert response.json()["statusCode"] == 422


async def test_workato_page_is_bounded(native_api) -> None:
    response = await native_api.client.get("/api/event_streams/topics?page=9223372036854775807",
                                           headers=native_api.headers_a)
    assert response.status_code == 400, response.text
    assert "page" in response.text


@pytest.mark.parametrize(
    "body",
    [
        {"name": "w", "to": "x" * 256},
        {"name": "w", "to": ["ok", "y" * 300]},
        {"name": "w", "to": {"subscriberId": "s", "email": "a@x.com, b@evil.test"}},
        {"name": "w", "to": "s", "actor": "a" * 256},
    ],
)
async def test_trigger_refuses_long_ids_and_bad_addresses(native_api, body) -> None:
    response = await native_api.client.post("/v1/events/trigger", json=body, headers=native_api.headers_a)
    assert response.status_code == 422, response.text
    assert response.json()["errors"], response.text


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/v1/events/trigger", b'{"name": "w", "to": "s", "payload": {"a": "\\ud800"}}'),
        ("/v1/events/trigger", b'{"name": "w", "to": "\\udc00"}'),
        ("/v1/events/trigger", b'{"name": "w", "to": "s", "payload": {"n": NaN}}'),
        ("/v1/events/trigger", DEEP.encode()),
        ("/v1/events/publish", b'[{"type": "t", "data": "\\ud800"}]'),
        ("/v1/events/publish", DEEP.encode()),
        ("/api/v1/topics/t/publish", DEEP.encode()),
        ("/api/o/org/p/prj/a/app/e/evt/trigger/", DEEP.encode()),
        ("/v1/subscribers", b'{"subscriberId": "s", "data": {"x": "\\ud800"}}'),
    ],
)
async def test_unusable_json_is_a_400_in_the_owning_dialect(native_api, path: str, raw: bytes) -> None:
    response = await native_api.client.post(
        path, content=raw, headers={**native_api.headers_a, "Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(("application/json", "application/problem+json"))


async def test_a_face_reads_a_body_of_any_type_with_the_same_parser(native_api) -> None:
    # Not declared JSON, so the middleware lets it through; Workato's reader refuses it itself.
    response = await native_api.client.post(
        "/api/v1/topics/1/publish", content=DEEP.encode(),
        headers={**native_api.headers_a, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code in (400, 404), response.text
    assert response.status_code != 500
