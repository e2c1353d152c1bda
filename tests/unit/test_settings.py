"""Settings of sign-in and cookies, read from the environment: defaults, and bad values refused
naming the variable."""

from __future__ import annotations

import pytest

from kassa.core.settings import Settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "KASSA_COOKIE_SECURE",
        "KASSA_TRUSTED_PROXIES",
        "KASSA_LOGIN_MAX_FAILURES",
        "KASSA_PASSWORD_HASH_THREADS",
        "KASSA_PASSWORD_HASH_QUEUE",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert settings.cookie_secure == "auto"
    assert settings.trusted_proxies == "127.0.0.1"
    assert settings.login_max_failures == 5
    assert (settings.password_hash_threads, settings.password_hash_queue) == (1, 8)


def test_values_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KASSA_COOKIE_SECURE", "TRUE")
    monkeypatch.setenv("KASSA_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")
    monkeypatch.setenv("KASSA_LOGIN_LOCKOUT_SECONDS", "30")
    monkeypatch.setenv("KASSA_PASSWORD_HASH_QUEUE", "0")
    settings = Settings.from_env()
    assert settings.cookie_secure == "true"
    assert settings.trusted_proxies == "10.0.0.0/8, 192.0.2.1"
    assert settings.login_lockout_seconds == 30
    assert settings.password_hash_queue == 0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "KASSA_COOKIE_SECURE",
            "sometimes",
            "KASSA_COOKIE_SECURE must be one of auto, true, false",
        ),
        ("KASSA_PASSWORD_HASH_THREADS", "0", "KASSA_PASSWORD_HASH_THREADS must be at least 1"),
        ("KASSA_PASSWORD_HASH_QUEUE", "-1", "KASSA_PASSWORD_HASH_QUEUE must be at least 0"),
        ("KASSA_LOGIN_MAX_FAILURES", "five", "KASSA_LOGIN_MAX_FAILURES must be a whole number"),
    ],
)
def test_bad_values_name_their_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        Settings.from_env()
