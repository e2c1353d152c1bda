from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kassa.cli.main import app
from kassa.db import migrate
from kassa.db.engine import make_engine
from kassa.db.models import BusinessModel, Currency, CustomerClass, User
from tests.cli.conftest import Kassa
from tests.conftest import create_pg_database


def _head() -> str:
    engine = make_engine("sqlite://")
    try:
        head = migrate.head_revision(engine)
    finally:
        engine.dispose()
    assert head is not None
    return head


@pytest.fixture
def empty_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it yet (the SQLite file does not even exist)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        yield create_pg_database(f"kassa_cli_fresh_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")


def test_current_on_a_migrated_database(kassa: Kassa) -> None:
    result = kassa.ok("db", "current")
    assert f"{_head()} (latest)" in result.output


def test_upgrade_of_an_up_to_date_database_changes_nothing(kassa: Kassa) -> None:
    result = kassa.ok("db", "upgrade")
    assert f"from {_head()} to {_head()} (already up to date)" in result.output


def test_upgrade_creates_schema_and_reference_data(empty_url: str) -> None:
    kassa = Kassa(empty_url)
    assert "kassa db upgrade" in kassa.ok("db", "current").output
    result = kassa.ok("db", "upgrade")
    assert f"from empty to {_head()}" in result.output
    assert kassa.count(Currency) > 100
    assert kassa.count(BusinessModel) >= 7
    assert kassa.count(CustomerClass) == 1
    # Only 'kassa serve' creates the admin, so that it can show the credentials.
    assert kassa.count(User) == 0
    assert f"{_head()} (latest)" in kassa.ok("db", "current").output


def test_commands_refuse_a_database_without_schema(empty_url: str, tmp_path: Path) -> None:
    result = Kassa(empty_url)("users", "list")
    assert result.exit_code == 1
    assert "kassa db upgrade" in result.output
    # Asking must not leave an empty database file behind.
    assert not (tmp_path / "fresh.db").exists()


def test_current_on_a_missing_sqlite_file(tmp_path: Path) -> None:
    result = Kassa(f"sqlite:///{tmp_path / 'none.db'}").ok("db", "current")
    assert "No database" in result.output
    assert not (tmp_path / "none.db").exists()


def test_a_malformed_database_url_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["--database-url", "not a url", "users", "list"])
    assert result.exit_code == 2
    assert "--database-url" in result.output


def test_an_unreachable_database_is_reported_without_a_traceback() -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/kassa?connect_timeout=2"
    result = CliRunner().invoke(app, ["--database-url", url, "db", "current"])
    assert result.exit_code == 1
    assert "database error" in result.output
    assert "Traceback" not in result.output


def test_help_on_every_command() -> None:
    runner = CliRunner()
    commands = [
        [],
        ["serve"],
        ["db"],
        ["db", "upgrade"],
        ["db", "current"],
        ["users"],
        ["users", "create"],
        ["users", "list"],
        ["tokens"],
        ["tokens", "create"],
        ["tokens", "list"],
        ["tokens", "revoke"],
        ["customers"],
        ["customers", "add"],
        ["customers", "list"],
        ["customers", "show"],
        ["bill-run"],
        ["notifications"],
        ["notifications", "deliver"],
    ]
    for command in commands:
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "Usage: kassa" in result.output


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("kassa ")
