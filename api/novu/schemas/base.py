"""The null policy of every Novu-dialect response, decided here once.

Novu leaves out an optional field that has no value. Its TypeScript SDK (``@novu/api``, whose zod
schemas validate every answer) accepts a missing field but rejects ``null`` unless Novu's own
schema declares the field nullable; the Python SDKs accept both. So:

- Every response model of the native face derives from :class:`NovuResponse`. When serialized
  (FastAPI's ``response_model``, ``model_dump``, nested models alike), a field whose value is
  ``None`` is left out.
- A field Novu declares nullable (e.g. the ``next``/``previous`` cursors of a v2 list) is typed
  ``Nullable[T]`` and stays ``null`` on the wire.
- Free-form values (a payload, subscriber ``data``, a message's ``cta.data``) are dicts, not models,
  so the ``null`` a caller stored inside them comes back unchanged.
- Request bodies derive from pydantic's ``BaseModel`` directly: there a ``null`` may mean "clear the
  field" (a v2 PATCH), which this policy must not erase.

Reusing it (the inbox routes, a new resource): derive the response DTOs from ``NovuResponse``,
mark Novu's nullable fields ``Nullable[...]``, and answer through ``response_model``. A route that
answers a plain dict instead passes it through :func:`novu_json`, which applies the same rule to
the dict's own keys (not to the free-form values inside them).
"""

from __future__ import annotations

from types import UnionType
from typing import Annotated, Any, ClassVar, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

T = TypeVar("T")


class _KeepNull:
    """Field metadata: Novu declares this field nullable, so ``None`` is written as ``null``."""

    def __repr__(self) -> str:
        return "KeepNull"


KEEP_NULL = _KeepNull()
Nullable = Annotated[T | None, KEEP_NULL]


class NovuResponse(BaseModel):
    """Base of every native response model: absent optional values are left out (see the module doc)."""

    model_config = ConfigDict(populate_by_name=True)
    # The names (and aliases) of the fields typed ``Nullable``, computed once per class.
    _keep_null: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        keep: set[str] = set()
        for name, field in cls.model_fields.items():
            if any(meta is KEEP_NULL for meta in field.metadata):
                keep.add(name)
                if field.alias:
                    keep.add(field.alias)
                if isinstance(field.serialization_alias, str):
                    keep.add(field.serialization_alias)
        cls._keep_null = frozenset(keep)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        # The published schema says what the wire carries: a field that may be None is left out, so
        # it is not "required" (a client validating answers, as schemathesis does, must not expect it).
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        if "required" in target:
            may_be_absent = {
                name for field_name, field in cls.model_fields.items() if _admits_none(field.annotation)
                and field_name not in cls._keep_null
                for name in (field_name, field.alias, field.serialization_alias) if isinstance(name, str)
            }
            target["required"] = [name for name in target["required"] if name not in may_be_absent]
            if not target["required"]:
                del target["required"]
        return schema

    # No return annotation on purpose: pydantic would publish the annotated type (a bare dict) as the
    # model's OpenAPI schema instead of its fields.
    @model_serializer(mode="wrap")
    def _leave_out_nulls(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        data = handler(self)
        if not isinstance(data, dict):
            return data
        keep = self._keep_null
        return {key: value for key, value in data.items() if value is not None or key in keep}


def _admits_none(annotation: Any) -> bool:
    if annotation is Any or annotation is None or annotation is type(None):
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _admits_none(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return any(_admits_none(arg) for arg in get_args(annotation))
    return False


def novu_json(data: dict[str, Any], *, nullable: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A hand-built response object under the same rule: its ``None`` keys are left out, except ``nullable``."""
    return {key: value for key, value in data.items() if value is not None or key in nullable}
