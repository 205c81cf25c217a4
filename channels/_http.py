"""HTTP plumbing shared by the vendor-API providers: one client policy and one error mapping.

Requests to URLs that tenants choose (webhooks, chat incoming webhooks) go through
``channels.outbound`` instead, which refuses private addresses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from channels.base import ProviderContext
from channels.errors import DeliveryError, PermanentDeliveryError, RetryableDeliveryError
from channels.outbound import retry_after

__all__ = [
    "HttpConfig", "client_for", "error_for_status", "json_or_empty", "raise_for_status", "request", "retry_after",
]

DEFAULT_TIMEOUT = 30.0
_DETAIL_LIMIT = 300


class HttpConfig(BaseModel):
    """Fields every HTTP provider config shares; unknown keys are refused to catch typos."""

    model_config = ConfigDict(extra="forbid")

    timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0, description="Seconds per HTTP request.")


@asynccontextmanager
async def client_for(context: ProviderContext) -> AsyncIterator[httpx.AsyncClient]:
    """Yield the injected client, or a client owned by (and closed after) this one call."""
    if context.http is not None:
        yield context.http
        return
    async with httpx.AsyncClient() as client:
        yield client


async def request(
    context: ProviderContext, method: str, url: str, *, timeout: float, **kwargs: Any
) -> httpx.Response:
    """Send one request and map transport failures to retryable errors (status is not checked)."""
    async with client_for(context) as client:
        try:
            return await client.request(method, url, timeout=timeout, **kwargs)
        except httpx.TimeoutException as exc:
            raise RetryableDeliveryError(f"timed out after {timeout}s: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            # Connect, read and protocol errors are all "the network said no", never "the
            # request is wrong", so retrying is the right call.
            raise RetryableDeliveryError(f"transport error: {type(exc).__name__}: {exc}") from exc
        except httpx.InvalidURL as exc:
            raise PermanentDeliveryError(f"invalid URL: {exc}") from exc


def error_for_status(
    status: int, detail: str, *, retry_after: float | None = None, provider_code: str | None = None
) -> DeliveryError | None:
    """The delivery error a non-2xx status means, or None for a success.

    408, 429 and 5xx are transient; every other non-2xx answer (including 3xx, which we never
    follow blindly) is permanent. ``provider_code`` overrides the status as the reported code when
    the body names a more precise one.
    """
    if 200 <= status < 300:
        return None
    code = provider_code or str(status)
    message = f"HTTP {status}: {detail[:_DETAIL_LIMIT]}".rstrip(": ")
    if status in (408, 429) or status >= 500:
        return RetryableDeliveryError(message, provider_code=code, retry_after=retry_after)
    return PermanentDeliveryError(message, provider_code=code)


def raise_for_status(response: httpx.Response, *, provider_code: str | None = None) -> None:
    """Raise ``error_for_status`` of the response, if any."""
    error = error_for_status(
        response.status_code, response.text, retry_after=retry_after(response), provider_code=provider_code
    )
    if error is not None:
        raise error


def json_or_empty(response: httpx.Response) -> Any:
    """The decoded JSON body, or ``{}`` when the remote answered something else."""
    try:
        return response.json()
    except ValueError:
        return {}
