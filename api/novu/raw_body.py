"""Routes whose body is free-form JSON (a translation document, an override) read and check it here,
so a bad body is a 400 in the Novu error shape and never FastAPI's 422."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from api.errors import BadRequest
from api.json_body import JsonBodyError, parse_json
from api.novu.schemas.subscribers import StorableBody


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object that PostgreSQL can store, or a 400 that says why not."""
    try:
        body = parse_json(await request.body())
    except JsonBodyError as exc:
        message = f"Malformed JSON in the request body: it {exc.reason}"
        raise BadRequest(message, field_errors={"body": exc.reason}) from None
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object", field_errors={"body": "must be a JSON object"})
    try:
        StorableBody.model_validate(body)
    except ValueError:
        raise BadRequest("Strings must not contain NUL characters and numbers must be finite",
                         field_errors={"body": "is not storable"}) from None
    return body
