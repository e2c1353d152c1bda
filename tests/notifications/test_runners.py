"""The two ways deliveries run besides a direct call: the server's worker and the CLI."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from kassa.cli import main as cli_main
from kassa.cli import notifications as cli_notifications
from kassa.cli.errors import KassaGroup
from kassa.core.settings import Settings
from kassa.db.engine import Database
from kassa.notifications.worker import Notifier
from tests.notifications.conftest import deliveries
from tests.notifications.servers import WebhookReceiver


def _kassa() -> typer.Typer:
    """The ``kassa`` command with the notifications group, however the main app registers it."""
    root = typer.Typer(cls=KassaGroup)
    root.callback()(cli_main.main)
    root.add_typer(cli_notifications.app, name="notifications")
    return root


def test_worker_delivers_in_the_background(
    db: Database,
    settings: Settings,
    receiver: WebhookReceiver,
    make_endpoint: Callable[..., dict[str, Any]],
    make_customer: Callable[..., dict[str, Any]],
    post: Callable[[int, str, str], dict[str, Any]],
) -> None:
    receiver.secret = make_endpoint(receiver.url, ["payment_received"])["secret"]
    receiver.start()
    notifier = Notifier(db, replace(settings, notify_interval_seconds=1))
    notifier.start()
    try:
        post(make_customer()["id"], "payment", "5.00")
        deadline = time.monotonic() + 30
        while not receiver.accepted and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        notifier.stop()
    assert len(receiver.accepted) == 1
    assert [d.status for d in deliveries(db)] == ["delivered"]


def test_worker_disabled_by_a_zero_interval(db: Database, settings: Settings) -> None:
    notifier = Notifier(db, replace(settings, notify_interval_seconds=0))
    notifier.start()
    assert notifier._thread is None
    notifier.stop()


def test_cli_delivers_once(
    db: Database,
    settings: Settings,
    receiver: WebhookReceiver,
    make_endpoint: Callable[..., dict[str, Any]],
    make_customer: Callable[..., dict[str, Any]],
    post: Callable[[int, str, str], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver.secret = make_endpoint(receiver.url, ["payment_received"])["secret"]
    receiver.start()
    customer = make_customer()
    post(customer["id"], "payment", "5.00")
    post(customer["id"], "payment", "6.00")
    monkeypatch.delenv("KASSA_SMTP_HOST", raising=False)

    result = CliRunner().invoke(
        _kassa(), ["--database-url", settings.database_url, "notifications", "deliver"]
    )

    assert result.exit_code == 0, result.output
    assert "into 2 deliveries; 2 delivered, 0 to retry later, 0 failed for good." in result.output
    assert len(receiver.accepted) == 2
    again = CliRunner().invoke(
        _kassa(), ["--database-url", settings.database_url, "notifications", "deliver"]
    )
    assert "0 events fanned out into 0 deliveries; 0 delivered" in again.output
    assert len(receiver.accepted) == 2


def test_cli_loop_stops_on_interrupt(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(_seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_notifications.time, "sleep", interrupted)

    result = CliRunner().invoke(
        _kassa(),
        [
            "--database-url",
            settings.database_url,
            "notifications",
            "deliver",
            "--loop",
            "--interval",
            "2",
        ],
    )

    assert result.exit_code == 0, result.output
    assert "every 2 s" in result.output
    assert "Stopped." in result.output
