"""Settings read from the environment (``KASSA_*``), once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _env_int(name: str, default: int, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _env_positive(name: str, default: int) -> int:
    value = _env_int(name, default)
    if value < 1:
        raise ValueError(f"{name} must be 1 or more, got {value}")
    return value


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = (os.environ.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def _env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = (os.environ.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


COOKIE_SECURE_CHOICES = ("auto", "true", "false")


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///./kassa.db"
    secret_key: str | None = None
    admin_token: str | None = None
    admin_password: str | None = None
    max_body_bytes: int = 1024 * 1024
    # File uploads (a tariff's rates as CSV): 100,000 rates take some 5 MB.
    max_upload_bytes: int = 64 * 1024 * 1024
    sqlite_busy_timeout_ms: int = 30_000
    invoice_templates_dir: Path | None = None
    # The budget of one invoice render: seconds of time, bytes of HTML.
    invoice_render_seconds: float = 5.0
    invoice_max_bytes: int = 5 * 1024 * 1024
    # How often each server process releases lapsed reservations (0: never, e.g. in tests).
    sweep_interval_seconds: int = 30
    # How often the server's scheduler starts a billing run (0: never; use `kassa bill-run`).
    billing_interval_seconds: int = 300
    invoice_number_format: str = "INV-{year}-{seq:06}"
    credit_note_number_format: str = "CN-{year}-{seq:06}"
    # How far ahead of now a billing run's as_of may be: a mistyped year would otherwise
    # invoice centuries of periods in one go.
    billing_horizon_days: int = 366
    # A billing run renews its lease with every transaction; one silent this long is taken for
    # dead (interrupted), and the next run completes its work.
    billing_run_lease_seconds: int = 60
    # Notifications: how often each server process delivers them (0: never), the first retry
    # delay (later ones grow from it) and how many attempts a delivery gets before it fails.
    notify_interval_seconds: int = 10
    webhook_backoff_seconds: float = 5.0
    webhook_max_attempts: int = 10
    # Outgoing email; without a host no email notifications are made.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "Kassa <kassa@localhost>"
    # Failed sign-ins: this many within the window lock the username (or the client address)
    # for the lockout, twice as long for each failure after that, up to the maximum.
    login_max_failures: int = 5
    login_max_failures_per_address: int = 20
    login_window_seconds: int = 900
    login_lockout_seconds: int = 60
    login_lockout_max_seconds: int = 3600
    # A refused sign-in is answered after this pause, which costs the server nothing: a
    # client that tries again at once cannot spin through refusals as fast as it can send.
    login_refusal_delay_seconds: float = 1.0
    # Password hashing runs on its own few threads; past the queue, sign-ins are refused at once.
    password_hash_threads: int = 1
    password_hash_queue: int = 8
    # The web session cookie's Secure flag: auto sets it on requests that came over HTTPS.
    cookie_secure: str = "auto"
    # Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (addresses, networks,
    # or "*"); "none" believes no one.
    trusted_proxies: str = "127.0.0.1"

    @classmethod
    def from_env(cls) -> Settings:
        templates = os.environ.get("KASSA_INVOICE_TEMPLATES_DIR")
        return cls(
            database_url=os.environ.get("KASSA_DATABASE_URL") or "sqlite:///./kassa.db",
            secret_key=os.environ.get("KASSA_SECRET_KEY") or None,
            admin_token=os.environ.get("KASSA_ADMIN_TOKEN") or None,
            admin_password=os.environ.get("KASSA_ADMIN_PASSWORD") or None,
            max_body_bytes=_env_int("KASSA_MAX_BODY_BYTES", 1024 * 1024),
            max_upload_bytes=_env_int("KASSA_MAX_UPLOAD_BYTES", 64 * 1024 * 1024),
            sqlite_busy_timeout_ms=_env_int("KASSA_SQLITE_BUSY_TIMEOUT_MS", 30_000),
            invoice_templates_dir=Path(templates) if templates else None,
            invoice_render_seconds=_env_float("KASSA_INVOICE_RENDER_SECONDS", 5.0),
            invoice_max_bytes=_env_int("KASSA_INVOICE_MAX_BYTES", 5 * 1024 * 1024),
            sweep_interval_seconds=_env_int("KASSA_SWEEP_INTERVAL_SECONDS", 30),
            billing_interval_seconds=_env_int("KASSA_BILLING_INTERVAL_SECONDS", 300),
            invoice_number_format=os.environ.get("KASSA_INVOICE_NUMBER_FORMAT")
            or "INV-{year}-{seq:06}",
            credit_note_number_format=os.environ.get("KASSA_CREDIT_NOTE_NUMBER_FORMAT")
            or "CN-{year}-{seq:06}",
            billing_horizon_days=_env_positive("KASSA_BILLING_HORIZON_DAYS", 366),
            billing_run_lease_seconds=_env_positive("KASSA_BILLING_RUN_LEASE_SECONDS", 60),
            notify_interval_seconds=_env_int("KASSA_NOTIFY_INTERVAL_SECONDS", 10),
            webhook_backoff_seconds=_env_float("KASSA_WEBHOOK_BACKOFF_SECONDS", 5.0),
            webhook_max_attempts=_env_int("KASSA_WEBHOOK_MAX_ATTEMPTS", 10),
            smtp_host=os.environ.get("KASSA_SMTP_HOST") or None,
            smtp_port=_env_int("KASSA_SMTP_PORT", 25),
            smtp_user=os.environ.get("KASSA_SMTP_USER") or None,
            smtp_password=os.environ.get("KASSA_SMTP_PASSWORD") or None,
            smtp_starttls=_env_bool("KASSA_SMTP_STARTTLS", False),
            mail_from=os.environ.get("KASSA_MAIL_FROM") or "Kassa <kassa@localhost>",
            login_max_failures=_env_int("KASSA_LOGIN_MAX_FAILURES", 5, minimum=1),
            login_max_failures_per_address=_env_int(
                "KASSA_LOGIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=1
            ),
            login_window_seconds=_env_int("KASSA_LOGIN_WINDOW_SECONDS", 900, minimum=1),
            login_lockout_seconds=_env_int("KASSA_LOGIN_LOCKOUT_SECONDS", 60, minimum=1),
            login_lockout_max_seconds=_env_int("KASSA_LOGIN_LOCKOUT_MAX_SECONDS", 3600, minimum=1),
            login_refusal_delay_seconds=_env_float("KASSA_LOGIN_REFUSAL_DELAY_SECONDS", 1.0),
            password_hash_threads=_env_int("KASSA_PASSWORD_HASH_THREADS", 1, minimum=1),
            password_hash_queue=_env_int("KASSA_PASSWORD_HASH_QUEUE", 8, minimum=0),
            cookie_secure=_env_choice("KASSA_COOKIE_SECURE", "auto", COOKIE_SECURE_CHOICES),
            trusted_proxies=(os.environ.get("KASSA_TRUSTED_PROXIES") or "127.0.0.1").strip(),
        )
