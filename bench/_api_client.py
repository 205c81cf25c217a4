"""The load generator's HTTP client for Clarion's API.

The benchmark process shares the machine's cores with the API, the worker and Temporal, so every
millisecond its client spends per request is taken from what it measures. httpx cost about 3 ms of
CPU per trigger here (Python-level HTTP/1.1 and its pool); aiohttp parses in C and costs a fraction
of that. The report prints the benchmark process's CPU per request (the *bench* column).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Reply:
    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class ApiClient:
    """``post(path, json=...)`` with fixed headers, over up to ``connections`` kept-alive connections."""

    def __init__(self, base_url: str, headers: dict[str, str], connections: int = 64) -> None:
        self._base = base_url
        self._headers = {**headers, "Content-Type": "application/json"}
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def with_key(cls, port: int, key: str) -> ApiClient:
        """Clarion's API on this machine, authenticated with an environment's API key."""
        return cls(f"http://127.0.0.1:{port}", {"Authorization": f"ApiKey {key}"})

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:  # created in the running loop, as aiohttp asks
            # Idle connections are dropped before uvicorn's 5 s keep-alive timeout closes them under a request.
            connector = aiohttp.TCPConnector(limit=self._connections, keepalive_timeout=2.0)
            self._session = aiohttp.ClientSession(self._base, headers=self._headers, connector=connector,
                                                  timeout=aiohttp.ClientTimeout(total=120))
        return self._session

    async def post(self, path: str, json: Any) -> Reply:
        async with self._open().post(path, data=_dumps(json)) as response:
            return Reply(response.status, await response.text())

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


def _dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
