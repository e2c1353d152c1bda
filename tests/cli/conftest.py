"""Run ``kassa`` in-process against the parametrized test database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from kassa.cli.main import app
from kassa.db.engine import Database


@dataclass
class Kassa:
    url: str

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str | None] | None = None
    ) -> Result:
        # Wide enough that no table cell wraps (pytest-xdist workers export COLUMNS=80).
        env = {"COLUMNS": "200", **(env or {})}
        return CliRunner().invoke(app, ["--database-url", self.url, *args], input=input, env=env)

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self(*args, input=input)
        assert result.exit_code == 0, result.output
        return result

    def count(self, model: type[Any]) -> int:
        db = Database(self.url)
        try:
            with db.reading() as session:
                return int(session.scalar(select(func.count()).select_from(model)) or 0)
        finally:
            db.dispose()


@pytest.fixture
def kassa(database_url: str) -> Kassa:
    return Kassa(database_url)
