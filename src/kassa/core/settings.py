"""Settings read from the environment (``KASSA_*``), once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///./kassa.db"
    secret_key: str | None = None
    admin_token: str | None = None
    admin_password: str | None = None
    max_body_bytes: int = 1024 * 1024
    sqlite_busy_timeout_ms: int = 30_000
    invoice_templates_dir: Path | None = None
    # How often each server process releases lapsed reservations (0: never, e.g. in tests).
    sweep_interval_seconds: int = 30

    @classmethod
    def from_env(cls) -> Settings:
        templates = os.environ.get("KASSA_INVOICE_TEMPLATES_DIR")
        return cls(
            database_url=os.environ.get("KASSA_DATABASE_URL") or "sqlite:///./kassa.db",
            secret_key=os.environ.get("KASSA_SECRET_KEY") or None,
            admin_token=os.environ.get("KASSA_ADMIN_TOKEN") or None,
            admin_password=os.environ.get("KASSA_ADMIN_PASSWORD") or None,
            max_body_bytes=_env_int("KASSA_MAX_BODY_BYTES", 1024 * 1024),
            sqlite_busy_timeout_ms=_env_int("KASSA_SQLITE_BUSY_TIMEOUT_MS", 30_000),
            invoice_templates_dir=Path(templates) if templates else None,
            sweep_interval_seconds=_env_int("KASSA_SWEEP_INTERVAL_SECONDS", 30),
        )
