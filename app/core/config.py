"""Settings, read from ``TINBAO_*`` environment variables (see the README's table).

Nothing is read at import time: ``get_settings()`` builds the object, ``create_app(settings)``
takes one, so a test can build an app on its own database.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Mode(StrEnum):
    development = "development"
    production = "production"


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
    rate_limit_login: str = "30/minute"

    # Uploads
    max_file_bytes: int = 20 * 1024 * 1024
    max_tip_bytes: int = 50 * 1024 * 1024
    max_files_per_tip: int = 10
    max_json_bytes: int = 256 * 1024

    # Reporter identities of tips closed longer than this are purged by a scheduled job
    # (5 years: past complaint periods and re-examination of closed cases; set by policy).
    retention_reporter_days: int = Field(1825, ge=1)

    webhook_max_attempts: int = 8
    webhook_allow_private: bool | None = None  # None: true outside production

    scheduler_enabled: bool = True
    scheduler_interval_seconds: int = 60
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    docs_enabled: bool = True
    web_enabled: bool = True  # serve the reference web client (/, /track, /staff/, /dashboard/)
    log_level: str = "INFO"

    @model_validator(mode="before")
    @classmethod
    def _split_lists(cls, data: object) -> object:
        if isinstance(data, dict):
            for name in ("data_keys", "cors_origins"):
                value = data.get(name)
                if isinstance(value, str):
                    data[name] = [v.strip() for v in value.split(",") if v.strip()]
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
        if self.webhook_allow_private is None:
            self.webhook_allow_private = self.mode is not Mode.production
        return self

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
