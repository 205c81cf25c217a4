"""Subscriber email addresses are validated (email-validator) wherever a subscriber is written."""

from __future__ import annotations

import pytest

BAD = ["a@x.com, b@evil.test", "Name <a@x.com>", "a@x.com\r\nBcc: b@evil.test", "no-at-sign", "a@-x.com"]


@pytest.mark.parametrize("email", BAD)
async def test_create_update_and_bulk_refuse_a_bad_address(native_api, email: str) -> None:
    api, headers = native_api.client, native_api.headers_a
    created = await api.post("/v1/subscribers", json={"subscriberId": "s1", "email": email}, headers=headers)
    assert created.status_code == 422, created.text
    assert "email" in created.json()["errors"]
    ok = await api.post("/v1/subscribers", json={"subscriberId": "s1", "email": "s1@example.com"}, headers=headers)
    assert ok.status_code in (200, 201), ok.text
    updated = await api.put("/v1/subscribers/s1", json={"email": email}, headers=headers)
    assert updated.status_code == 422, updated.text
    bulk = await api.post("/v1/subscribers/bulk", json={"subscribers": [{"subscriberId": "s2", "email": email}]},
                          headers=headers)
    # A bulk create reports a bad entry in ``failed`` and goes on, as Novu does.
    assert bulk.status_code == 201, bulk.text
    assert [f["subscriberId"] for f in bulk.json()["data"]["failed"]] == ["s2"]
    assert "email" in bulk.json()["data"]["failed"][0]["message"]
    stored = await api.get("/v1/subscribers/s1", headers=headers)
    assert stored.json()["data"]["email"] == "s1@example.com"


async def test_a_good_address_is_stored_normalised(native_api) -> None:
    api, headers = native_api.client, native_api.headers_a
    created = await api.post("/v1/subscribers", json={"subscriberId": "s3", "email": "Ann@Example.COM"},
                             headers=headers)
    assert created.status_code in (200, 201), created.text
    assert created.json()["data"]["email"] == "Ann@example.com"
    local = await api.post("/v1/subscribers", json={"subscriberId": "s4", "email": "dev@localhost"}, headers=headers)
    assert local.json()["data"]["email"] == "dev@localhost"
