"""The migrations are the only source of the schema: they must build exactly what the models say.

On each backend: upgrade an empty database to head and let Alembic's autogenerate compare it
with the models (through env.py, so with its include_object); then downgrade to base and
upgrade again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, column, inspect, select, table, text

from kassa.billing.run_status import expire_lapsed_runs
from kassa.db import migrate
from kassa.db.base import Base, UTCDateTime
from kassa.db.engine import Database, make_engine
from kassa.db.models import BillingRun
from tests.conftest import PG_SERVER, Api, create_pg_database, customer_body
from tests.when import after_first_periods


@pytest.fixture
def empty_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    name = f"kassa_migrations_{os.getpid()}"
    engine = make_engine(create_pg_database(name))
    yield engine
    engine.dispose()
    admin = make_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def schema_diff(engine: Engine) -> list[Any]:
    """What autogenerate would write for this database, configured by env.py itself."""
    config = migrate.alembic_config(engine)
    script = ScriptDirectory.from_config(config)
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        # Running env.py with a no-op step gives the migration context it configures:
        # target metadata, include_object, type comparison.
        with EnvironmentContext(config, script, fn=lambda _rev, _context: []) as env:
            script.run_env()
            context = env.get_context()
            assert context.opts.get("include_object") is not None
            return list(compare_metadata(context, Base.metadata))


def downgrade(engine: Engine, revision: str) -> None:
    config = migrate.alembic_config(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_head_matches_the_models(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision(empty_engine)
    assert {t.name for t in Base.metadata.sorted_tables} <= tables(empty_engine)
    assert schema_diff(empty_engine) == []


def test_downgrade_to_base_and_upgrade_again(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    downgrade(empty_engine, "base")
    assert migrate.current_revision(empty_engine) is None
    assert tables(empty_engine) <= {"alembic_version"}
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision(empty_engine)
    assert schema_diff(empty_engine) == []


def test_each_revision_steps_down_and_up(empty_engine: Engine) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config(empty_engine))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions, "no migrations"
    for revision in revisions:
        migrate.upgrade(empty_engine, revision)
        assert migrate.current_revision(empty_engine) == revision
    for revision in reversed(revisions[:-1]):
        downgrade(empty_engine, revision)
        assert migrate.current_revision(empty_engine) == revision
        migrate.upgrade(empty_engine, "head")
        downgrade(empty_engine, revision)
    migrate.upgrade(empty_engine)
    assert schema_diff(empty_engine) == []


def test_upgrade_is_idempotent(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision(empty_engine)


def _rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.exec_driver_sql(sql)]


def _lines(engine: Engine) -> list[tuple[Any, ...]]:
    return _rows(
        engine,
        "SELECT invoice_id, position, description, service, entry_type, quantity, amount_micros "
        "FROM invoice_lines ORDER BY invoice_id, position",
    )


@pytest.mark.calendar
def test_rekeying_invoice_lines_keeps_every_line(api: Api, db: Database) -> None:
    """0004 rebuilds invoice_lines with another key, both ways, with invoices in it."""
    customer = api.post("/customers", customer_body(business_model_id=7)).json()["id"]
    for service, amount in (("voice", "1.25"), ("data", "2.50")):
        auth = api.post(
            f"/customers/{customer}/authorizations", {"amount": amount, "service": service}
        ).json()
        assert api.post(f"/authorizations/{auth['id']}/commit", {"amount": amount}).is_success
    assert api.post("/billing-runs", {"as_of": after_first_periods()}).is_success
    before = _lines(db.engine)
    assert len(before) >= 2
    db.engine.dispose()
    downgrade(db.engine, "0003")
    assert _lines(db.engine) == before
    migrate.upgrade(db.engine)
    assert _lines(db.engine) == before
    assert schema_diff(db.engine) == []


def _periods(engine: Engine) -> list[tuple[Any, ...]]:
    return _rows(
        engine,
        "SELECT id, billing_anchor_date, period_start_at, period_end_at FROM customers ORDER BY id",
    )


def test_customers_from_before_billing_get_the_period_a_new_customer_would(
    api: Api, db: Database
) -> None:
    """0003 opens the first billing period of every existing customer, cut from creation."""
    for period, zone in (
        ("monthly", "Europe/Prague"),
        ("weekly", "Pacific/Kiritimati"),
        ("monthly_anniversary", "America/Santiago"),
        ("daily", "Asia/Kathmandu"),
    ):
        body = customer_body(billing_period=period, billing_timezone=zone)
        assert api.post("/customers", body).status_code == 201
    opened_at_creation = _periods(db.engine)
    db.engine.dispose()
    downgrade(db.engine, "0002")
    migrate.upgrade(db.engine)
    assert _periods(db.engine) == opened_at_creation


def test_runs_running_before_0006_get_a_lease_from_their_start(db: Database) -> None:
    """0006 gives each run still running a lease until six hours after its start (the rule
    that took a run for dead before); going back, interrupted runs become failed ones."""
    db.engine.dispose()
    downgrade(db.engine, "0004")
    started = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    before = table(  # billing_runs as 0004 left it
        "billing_runs",
        column("as_of", UTCDateTime()),
        column("status"),
        column("triggered_by"),
        column("periods_closed"),
        column("invoices_issued"),
        column("started_at", UTCDateTime()),
    )
    with db.engine.begin() as conn:
        for status in ("running", "finished"):
            conn.execute(
                before.insert().values(
                    as_of=started,
                    status=status,
                    triggered_by="cli",
                    periods_closed=3,
                    invoices_issued=3,
                    started_at=started,
                )
            )
    migrate.upgrade(db.engine)
    with db.reading() as session:
        running, finished = session.scalars(select(BillingRun).order_by(BillingRun.id)).all()
        assert running.lease_expires_at == started + timedelta(hours=6)
        assert finished.lease_expires_at is None
        assert (running.customers_done, running.customers_total) == (0, None)
    with db.transaction() as session:
        expire_lapsed_runs(session, started + timedelta(hours=7))
    downgrade(db.engine, "0004")
    assert _rows(db.engine, "SELECT status, error FROM billing_runs ORDER BY id") == [
        ("failed", "did not finish"),
        ("finished", None),
    ]
    migrate.upgrade(db.engine)
    assert schema_diff(db.engine) == []


def test_name_keys_are_folded_for_existing_rows_and_kept_distinct(api: Api, db: Database) -> None:
    """0008 gives business models and classes a name key and folds customers' anew; names
    that already shared a key under the new folding keep distinct keys."""
    ligature = api.post("/customers", customer_body(name="Zone ² Networks")).json()["id"]
    db.engine.dispose()
    downgrade(db.engine, "0007")
    assert _rows(db.engine, f"SELECT name_key FROM customers WHERE id = {ligature}") == [
        ("zone ² networks",)
    ]
    with db.engine.begin() as conn:
        for name in ("Über", "über"):
            conn.execute(
                text(
                    "INSERT INTO business_models (name, description, services, created_at, "
                    "updated_at) VALUES (:name, '', '[]', :now, :now)"
                ),
                {"name": name, "now": datetime(2026, 12, 1, tzinfo=UTC)},
            )
    migrate.upgrade(db.engine)
    assert schema_diff(db.engine) == []
    keys = _rows(
        db.engine,
        "SELECT id, name_key FROM business_models WHERE name IN ('Über', 'über') ORDER BY id",
    )
    assert [key for _, key in keys] == ["über", f"über #{keys[1][0]}"]
    assert _rows(db.engine, "SELECT name_key FROM customer_classes") == [("default",)]
    assert _rows(db.engine, f"SELECT name_key FROM customers WHERE id = {ligature}") == [
        ("zone 2 networks",)
    ]
    assert api.post("/customers", customer_body(name="ZONE 2 networks")).status_code == 409
    assert api.post("/business-models", {"name": "ÜBER"}).status_code == 409
