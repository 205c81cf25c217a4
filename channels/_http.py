"""HTTP plumbing shared by the HTTP providers: one client policy and one error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from channels.base import ProviderContext
from channels.errors import PermanentDeliveryError, RetryableDeliveryError

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


def raise_for_status(response: httpx.Response, *, provider_code: str | None = None) -> None:
    """Raise the right delivery error for a non-2xx response.

    408, 429 and 5xx are transient; every other non-2xx answer (including 3xx, which we never
    follow blindly) is permanent. ``provider_code`` overrides the status as the reported code when
    the body names a more precise one.
    """
    if response.is_success:
        return
    status = response.status_code
    code = provider_code or str(status)
    message = f"HTTP {status}: {response.text[:_DETAIL_LIMIT]}".rstrip(": ")
    if status in (408, 429) or status >= 500:
        raise RetryableDeliveryError(message, provider_code=code, retry_after=retry_after(response))
    raise PermanentDeliveryError(message, provider_code=code)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), if present and sane."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def json_or_empty(response: httpx.Response) -> Any:
    """The decoded JSON body, or ``{}`` when the remote answered something else."""
    try:
        return response.json()
    except ValueError:
        return {}
