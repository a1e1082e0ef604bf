"""Settings, read from ``TINBAO_*`` environment variables (see the README's table).

Nothing is read at import time: ``get_settings()`` builds the object, ``create_app(settings)``
takes one, so a test can build an app on its own database.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Mode(StrEnum):
    development = "development"
    production = "production"


class LogFormat(StrEnum):
    text = "text"
    json = "json"


# Secrets that must never be used in production; also what an unset secret looks like.
_DEFAULT_SECRETS = {"", "changethis", "change-me", "secret"}
_SECRET_FIELDS = ("secret_key", "receipt_key", "data_keys")
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TINBAO_", extra="ignore")

    mode: Mode = Mode.development
    database_url: str = "sqlite:///./var/tinbao.db"
    media_dir: Path = Path("./var/media")
    var_dir: Path = Path("./var")
    redis_url: str | None = None
    bootstrap_admin_password: str | None = None

    # Secrets. In development they are generated once and kept in ./var/secrets.json.
    secret_key: str = ""  # signs access tokens
    receipt_key: str = ""  # keys the HMAC under which receipts and API keys are stored
    # Reporter-identity encryption keys, "id:base64key" comma-separated; the first encrypts,
    # all decrypt (rotation: put the new key first, run `tinbao reencrypt-reporters`).
    data_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)

    access_token_ttl_seconds: int = 3600

    # Rate limits, `limits` notation, counted per client address. Generous by default:
    # many mobile users share one carrier-grade NAT address.
    rate_limit_intake: str = "120/minute"
    rate_limit_track_failures: str = "30/minute"
    rate_limit_login: str = "30/minute"  # failed logins per client address and username
    rate_limit_login_user: str = "100/minute"  # failed logins per username, any address
    # What a reporter writes with a receipt (/track messages, complaints, protection
    # requests): per receipt, and per client address over all receipts.
    rate_limit_track_messages: str = "20/hour"
    rate_limit_track_messages_client: str = "300/hour"

    # Reverse proxies whose X-Forwarded-For / Forwarded headers are believed (CIDRs).
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # A streaming replica for statistics and exports, used while its lag is within the bound.
    database_replica_url: str | None = None
    replica_max_lag_seconds: float = Field(10.0, ge=0)

    # Uploads
    max_file_bytes: int = 20 * 1024 * 1024
    max_tip_bytes: int = 50 * 1024 * 1024
    max_files_per_tip: int = 10
    # All the files a reporter stored on one tip (intake and /track messages), as uploaded.
    max_tip_stored_bytes: int = Field(200 * 1024 * 1024, ge=1)
    max_json_bytes: int = 256 * 1024
    # Image bombs: refused from the header before decoding (pixels, and the memory the
    # re-encode would hold); files cleaned at once per worker process.
    media_max_image_pixels: int = Field(40_000_000, ge=1)
    media_image_memory_bytes: int = Field(256 * 1024 * 1024, ge=1024 * 1024)
    media_clean_concurrency: int = Field(2, ge=1)

    # Slow clients and silent peers (app.core.body_limits, app.core.serving, app.core.db,
    # app.core.ratelimit): how long a client may take, and how long a peer may stay silent.
    header_timeout_seconds: float = Field(10.0, gt=0)
    body_timeout_seconds: float = Field(30.0, gt=0)
    max_pending_requests: int = Field(500, ge=1)
    # Intake requests in flight per worker before 503 service_busy (app.core.admission);
    # None: 32 on SQLite (admission.SQLITE_DEFAULT), no bound on PostgreSQL; 0: no bound.
    max_queued_writes: int | None = Field(None, ge=0)
    db_connect_timeout_seconds: float = Field(5.0, gt=0)
    db_statement_timeout_seconds: float = Field(15.0, gt=0)
    db_pool_timeout_seconds: float = Field(10.0, gt=0)
    readyz_timeout_seconds: float = Field(3.0, gt=0)
    redis_timeout_ms: int = Field(50, ge=1)
    redis_retry_seconds: float = Field(5.0, gt=0)

    # Reporter identities of tips closed longer than this are purged by a scheduled job
    # (5 years: past complaint periods and re-examination of closed cases; set by policy).
    retention_reporter_days: int = Field(1825, ge=1)

    # Where `tinbao audit anchor` (and the daily job) writes the chain heads (app.audit.anchor).
    audit_anchor_file: Path | None = None
    audit_anchor_webhook_url: str | None = None

    webhook_max_attempts: int = 8
    webhook_allow_private: bool | None = None  # None: true outside production

    # Notifications (app.notifications): the outbox row is always written when enabled; a
    # channel without its settings is skipped (staff notices still reach the inbox).
    notifications_enabled: bool = True
    urgent_ack_minutes: int = Field(15, ge=1)
    escalate_after_hours: int = Field(24, ge=1)
    notify_rate_per_hour: int = Field(20, ge=1)  # per recipient; urgent alerts excepted
    notify_max_attempts: int = Field(6, ge=1)
    smtp_url: str | None = None  # smtp://[user:pass@]host:port[?starttls=require], smtps://
    smtp_ca_file: Path | None = None  # extra CA bundle for the SMTP server's certificate
    mail_from: str = "TinBáo <no-reply@tinbao.invalid>"
    sms_gateway_url: str | None = None
    sms_gateway_secret: str | None = None
    vapid_private_key: str | None = None  # base64url raw P-256 key or PEM
    vapid_subject: str = "mailto:admin@tinbao.invalid"

    scheduler_enabled: bool = True
    # `tinbao serve`: the runner in one `tinbao worker` child process, the web workers with the
    # scheduler off (app.core.worker_process); `--worker-process/--no-worker-process` override.
    serve_worker_process: bool = False
    # Freeze the heap left by start-up out of the garbage collector (app.core.gc_tuning).
    # `tinbao serve` turns it on for its workers; an app built in-process (tests, scripts)
    # keeps the default, since frozen cycles are never freed.
    gc_freeze: bool = False
    scheduler_interval_seconds: int = 60
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    docs_enabled: bool | None = None  # None: on in development, off in production
    web_enabled: bool = True  # serve the reference web client (/, /track, /staff/, /dashboard/)
    # How long a worker keeps its snapshot of reference data (units, categories, routing
    # rules, places, calendar): an admin's change reaches every other worker within it.
    reference_cache_seconds: float = Field(default=30.0, gt=0, le=60)
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.text
    metrics_token: str | None = None  # production: /metrics needs it as a Bearer token
    # How old the sampled business metrics (open and overdue tips) may be.
    metrics_sample_seconds: float = Field(default=30.0, gt=0, le=3600)

    @model_validator(mode="before")
    @classmethod
    def _split_lists(cls, data: object) -> object:
        if isinstance(data, dict):
            for name in ("data_keys", "cors_origins", "trusted_proxies"):
                value = data.get(name)
                if isinstance(value, str):
                    data[name] = [v.strip() for v in value.split(",") if v.strip()]
            for name in ("database_replica_url", "metrics_token", "bootstrap_admin_password"):
                if data.get(name) == "":
                    data[name] = None  # an empty line in .env means unset
        return data

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        missing = [
            name
            for name in _SECRET_FIELDS
            if (not getattr(self, name)) or str(getattr(self, name)) in _DEFAULT_SECRETS
        ]
        if self.mode is Mode.production:
            if missing:
                raise ValueError(
                    "production mode refuses to start with default or missing secrets: "
                    + ", ".join("TINBAO_" + m.upper() for m in missing)
                )
            short = [
                name
                for name in ("secret_key", "receipt_key")
                if len(getattr(self, name)) < MIN_SECRET_LENGTH
            ]
            if short:
                raise ValueError(
                    f"production mode needs secrets of at least {MIN_SECRET_LENGTH} characters: "
                    + ", ".join("TINBAO_" + m.upper() for m in short)
                )
            self._check_bootstrap_password()
        elif missing:
            self._fill_dev_secrets(missing)
        if self.data_keys and "data_keys" not in missing:
            from app.core.security import DataCipher

            try:
                DataCipher(self.data_keys)
            except ValueError as exc:
                raise ValueError(
                    "TINBAO_DATA_KEYS: comma-separated 'id:base64url(32 bytes)' keys "
                    "(make one with `tinbao generate-data-key`)"
                ) from exc
        from app.core.proxies import parse_networks

        parse_networks(self.trusted_proxies)  # ValueError names a bad entry
        if self.docs_enabled is None:
            self.docs_enabled = self.mode is not Mode.production
        if self.webhook_allow_private is None:
            self.webhook_allow_private = self.mode is not Mode.production
        return self

    def _check_bootstrap_password(self) -> None:
        if not self.bootstrap_admin_password:
            return
        from app.core.i18n import Lang
        from app.core.messages import pick
        from app.core.passwords import BOOTSTRAP_USERNAME, password_problem

        problem = password_problem(self.bootstrap_admin_password, username=BOOTSTRAP_USERNAME)
        if problem is not None:
            raise ValueError(
                f"TINBAO_BOOTSTRAP_ADMIN_PASSWORD is refused: {pick(problem, Lang.en)}"
            )

    def _fill_dev_secrets(self, missing: list[str]) -> None:
        """Generate development secrets once and keep them under var_dir."""
        path = self.var_dir / "secrets.json"
        stored: dict[str, object] = {}
        if path.exists():
            stored = json.loads(path.read_text())
        changed = False
        for name in missing:
            if name not in stored:
                if name == "data_keys":
                    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
                    stored[name] = [f"dev1:{key}"]
                else:
                    stored[name] = secrets.token_urlsafe(32)
                changed = True
            setattr(self, name, stored[name])
        if changed:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
                json.dump(stored, f)
            tmp.replace(path)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def async_database_url(self) -> str:
        return driver_url(self.database_url, async_=True)

    @property
    def sync_database_url(self) -> str:
        return driver_url(self.database_url, async_=False)


def driver_url(url: str, *, async_: bool) -> str:
    """Pick the driver for a plain ``sqlite:///`` or ``postgresql://`` URL."""
    scheme, _, rest = url.partition("://")
    base = scheme.split("+", 1)[0]
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}" if async_ else f"sqlite://{rest}"
    if base in {"postgresql", "postgres"}:
        return f"postgresql+asyncpg://{rest}" if async_ else f"postgresql+psycopg://{rest}"
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()


def settings_or_exit() -> Settings:
    """The settings, or ONE clear line on stderr and exit status 2 (no traceback) when they
    are wrong, e.g. a missing or weak production secret."""
    try:
        return get_settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = str(error.get("msg", "")).removeprefix("Value error, ")
            where = ".".join(str(part) for part in error.get("loc", ()))
            problems.append(f"TINBAO_{where.upper()}: {message}" if where else message)
        sys.stderr.write("tinbao: invalid configuration: " + "; ".join(problems) + "\n")
        raise SystemExit(2) from None
