"""The native face's null policy (``api.novu.schemas.base``): absent optional values are left out,
Novu's nullable fields stay ``null``, and nulls inside free-form values are the caller's own."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.novu.schemas.base import NovuResponse, Nullable, novu_json


class _Inner(NovuResponse):
    first_name: str | None = Field(None, alias="firstName")
    data: dict[str, Any] = Field(default_factory=dict)


class _Page(NovuResponse):
    data: list[_Inner]
    next: Nullable[str]
    previous: Nullable[str] = Field(None, alias="prev")
    note: str | None = None


def test_none_is_left_out_but_nullable_fields_and_free_form_nulls_stay() -> None:
    page = _Page(data=[_Inner(data={"kept": None})], next=None)
    assert page.model_dump(mode="json", by_alias=True) == {
        "data": [{"data": {"kept": None}}], "next": None, "prev": None,
    }
    assert page.model_dump(mode="json") == {"data": [{"data": {"kept": None}}], "next": None, "previous": None}


def test_values_are_written_and_the_openapi_schema_keeps_the_fields() -> None:
    page = _Page(data=[_Inner(first_name="Ada")], next="c1", note="n")
    assert page.model_dump(mode="json", by_alias=True) == {
        "data": [{"firstName": "Ada", "data": {}}], "next": "c1", "prev": None, "note": "n",
    }
    schema = _Page.model_json_schema(mode="serialization", by_alias=True)
    assert set(schema["properties"]) == {"data", "next", "prev", "note"}


def test_hand_built_objects_follow_the_same_rule() -> None:
    assert novu_json({"a": None, "b": 1, "c": None}, nullable=frozenset({"c"})) == {"b": 1, "c": None}


async def test_a_subscriber_without_optional_values_has_no_null_on_the_wire(native_api):
    api = native_api
    created = await api.client.post("/v2/subscribers", json={"subscriberId": "nul", "data": {"x": None}},
                                    headers=api.headers_a)
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert [key for key, value in data.items() if value is None] == []
    assert data["data"] == {"x": None} and "firstName" not in data
    listed = (await api.client.get("/v2/subscribers", headers=api.headers_a)).json()
    assert listed["next"] is None and listed["previous"] is None
