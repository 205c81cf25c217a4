"""One typed settings tree, read from ``CLARION_*`` environment variables.

Nothing builds a ``Settings`` at import time: the CLI and the app factory call
``get_settings()``, and tests construct ``Settings(...)`` directly.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.observability_settings import ObservabilitySettings

PLACEHOLDER_SECRET = "change-me"
UnknownOutcomePolicy = Literal["at_least_once", "at_most_once"]
# Every channel resends an undecided send under its idempotency key by default: a Standard Webhooks
# receiver is required to drop a repeated ``webhook-id``, as a mail client threads a repeated Message-ID.
UNKNOWN_OUTCOME_DEFAULTS: dict[str, UnknownOutcomePolicy] = {
    "email": "at_least_once", "sms": "at_least_once", "push": "at_least_once", "chat": "at_least_once",
    "webhook": "at_least_once",
}


class DatabaseSettings(BaseModel):
    """Where Clarion keeps its data; empty means a SQLite file in the data folder."""

    url: str = ""
    echo: bool = False
    pool_size: int = 10


class TemporalSettings(BaseModel):
    """How to reach Temporal."""

    address: str = "localhost:7233"
    namespace: str = "default"
    task_queue: str = "clarion"
    ui_url: str = "http://localhost:8233"


class ApiSettings(BaseModel):
    """The HTTP API process."""

    host: str = "127.0.0.1"
    port: int = 3000
    max_body_bytes: int = 5 * 1024 * 1024
    max_trigger_body_bytes: int = 512 * 1024
    idempotency_ttl_hours: int = 24
    # Requests per minute per credential over the dialect routes, per API process; 0 = off (event-apis.md §0.7).
    rate_limit_per_minute: int = Field(default=600, ge=0)
    # Browser origins allowed to call the API (CORS), besides each environment's own list; unset means
    # "*" in dev mode and none in production. Example: CLARION_API__CORS_ORIGINS='["https://app.example.com"]'.
    cors_origins: list[str] | None = None
    # The URL providers and mail clients reach this API at (Twilio signs it; List-Unsubscribe links use it).
    # Empty: the URL of the incoming request.
    public_url: str = ""
    # Single triggers that arrive while another start of their environment is in flight start together,
    # as one batched run per workflow (api/operations/trigger_coalescing.py); false: one run each.
    coalesce_triggers: bool = True


class SmtpSettings(BaseModel):
    """The default email integration used when an environment has none configured."""

    host: str = "127.0.0.1"
    port: int = 2525
    username: str | None = None
    password: SecretStr | None = None
    security: Literal["none", "starttls", "tls"] = "none"
    from_address: str = "clarion@localhost"
    from_name: str = "Clarion"


class WorkerSettings(BaseModel):
    """The Temporal worker process."""

    max_concurrent_activities: int = 200
    max_concurrent_workflow_tasks: int = 100
    # One run (and one batch activity per step) handles this many recipients of a fan-out.
    recipients_per_batch: int = Field(default=200, ge=1, le=5000)
    send_max_attempts: int = Field(default=8, ge=1)
    # How long a dead worker's step goes unnoticed before Temporal retries it elsewhere.
    send_heartbeat_seconds: float = Field(default=30.0, gt=0)
    # Concurrent sends to one provider within a batch.
    send_concurrency: int = Field(default=16, ge=1)
    # Retry delay after a temporary delivery failure: base x 2^(attempt-1), jittered, capped per channel.
    retry_base_seconds: float = Field(default=1.0, gt=0)
    retry_cap_seconds: dict[str, float] = Field(
        default_factory=lambda: {"sms": 60.0, "push": 60.0, "chat": 120.0, "email": 300.0, "webhook": 600.0}
    )
    # A send whose worker died on the wire: send again under the same idempotency key (same Message-ID,
    # provider idempotency key) or record "outcome unknown"; per channel (activities/unknown_outcome.py).
    unknown_outcome: dict[str, UnknownOutcomePolicy] = Field(default_factory=lambda: dict(UNKNOWN_OUTCOME_DEFAULTS))
    # A "transmitting" marker younger than this may still be on the wire from an attempt Temporal gave up
    # on (lost heartbeat); it is decided only once older (keep it above the providers' send timeouts).
    unknown_outcome_after_seconds: float = Field(default=40.0, ge=0)
    # On SIGTERM (a deploy), in-flight activities get this long to finish before they are cancelled.
    graceful_shutdown_seconds: float = Field(default=30.0, ge=0)
    # A worker started while Temporal is down retries its connection this often (0: give up at once).
    connect_retry_seconds: float = Field(default=2.0, ge=0)


class HubSettings(BaseModel):
    """The WebSocket hub (event-apis.md §3.5); timings are settings so tests can shrink them."""

    ping_seconds: float = Field(default=30.0, gt=0)
    pong_timeout_seconds: float = Field(default=45.0, gt=0)
    write_timeout_seconds: float = Field(default=10.0, gt=0)
    # How often open sockets re-check that their credential is still live (closes within 5 s).
    credential_check_seconds: float = Field(default=2.0, gt=0)
    registry_refresh_seconds: float = Field(default=10.0, gt=0)
    queue_size: int = Field(default=2048, ge=1)
    max_frame_bytes: int = Field(default=64 * 1024, ge=1)
    max_connections_per_credential: int = Field(default=100, ge=1)


class WebhookSettings(BaseModel):
    """Outbound webhook delivery (event-apis.md §1.8, §0.7); tests shrink the waits."""

    # Attempt n + 1 waits base_waits[n - 1] x uniform(0.8, 1.2) after attempt n fails.
    base_waits: list[float] = Field(
        default_factory=lambda: [10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0, 10800.0, 21600.0]
    )
    window_seconds: float = Field(default=86_400, gt=0)
    timeout_seconds: float = Field(default=30, gt=0)
    connect_timeout_seconds: float = Field(default=10, gt=0)
    # A recorded lifecycle event not started this long after (its process died, Temporal was down) is
    # started by the worker's periodic sweep; younger ones may still be starting in their own process.
    outbox_sweep_after_seconds: float = Field(default=30.0, ge=0)
    # SNS signing certificates and subscription confirmations are fetched only from matching URLs.
    sns_url_pattern: str = r"^https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/"


class DevSettings(BaseModel):
    """Ports and seeds of ``clarion dev``, so two instances can run side by side."""

    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    smtp_port: int = 2525
    demo_api_key: SecretStr | None = None
    temporal_retention_hours: int = Field(default=168, ge=24)


class Settings(BaseSettings):
    """Every setting of Clarion; environment variables are ``CLARION_<FIELD>`` / ``CLARION_<GROUP>__<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CLARION_", env_nested_delimiter="__", extra="ignore", env_file=None)

    mode: Literal["dev", "production"] = "production"
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    data_dir: Path = Path(".clarion")
    log_level: str = "info"
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    temporal: TemporalSettings = Field(default_factory=TemporalSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    dev: DevSettings = Field(default_factory=DevSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    hub: HubSettings = Field(default_factory=HubSettings)
    observability: ObservabilitySettings = Field(default_factory=ObservabilitySettings)
    # Real-time bus: auto = redis when redis_url is set, else postgres on PostgreSQL, else memory.
    realtime_bus: Literal["auto", "memory", "postgres", "redis"] = "auto"
    redis_url: str = ""
    # Workato event streams: topics per environment (CLARION_STREAMS_MAX_TOPICS, event-apis.md §0.7).
    streams_max_topics: int = Field(default=20, ge=1)
    # Webhook and chat steps post to URLs that tenants choose. In dev mode they may reach private and
    # loopback addresses (local sinks) unless this is false; production always refuses them.
    allow_private_addresses: bool = True

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Self:
        if self.mode != "dev" and self.secret_key.get_secret_value() in ("", PLACEHOLDER_SECRET):
            raise ValueError(
                "CLARION_SECRET_KEY is unset or still the placeholder: set a real secret, "
                "or set CLARION_MODE=dev for a local development instance"
            )
        if len(self.secret_key.get_secret_value()) < 8 and self.mode != "dev":
            raise ValueError("CLARION_SECRET_KEY must be at least 8 characters long")
        return self

    @property
    def default_cors_origins(self) -> list[str]:
        if self.api.cors_origins is not None:
            return self.api.cors_origins
        return ["*"] if self.mode == "dev" else []

    @property
    def public_api_url(self) -> str:
        """Where providers and mail clients reach the API: ``api.public_url``, else the bound address."""
        return self.api.public_url.rstrip("/") or f"http://{self.api.host}:{self.api.port}"

    @property
    def private_addresses_allowed(self) -> bool:
        return self.mode == "dev" and self.allow_private_addresses

    @property
    def database_url(self) -> str:
        """The configured database URL, or the embedded SQLite file under ``data_dir``."""
        if self.database.url:
            return self.database.url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'clarion.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once from the environment (CLI and app factory only)."""
    return Settings()
