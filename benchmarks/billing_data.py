"""The billing benchmark's data: customers whose first period has ended, with their ledger.

Everything is made by set-based SQL in a freshly migrated database and kept as a template
(a SQLite file under ``benchmarks/.cache/``, a PostgreSQL database named by the data's
version and cloned with ``CREATE DATABASE ... TEMPLATE``), so each timed run starts from an
identical, untouched copy.

The data, for ``customers`` customers and ``per_customer`` entries each on average:
- customers created between 1 and 25 October 2026 (06:00-18:00 UTC, so the local creation
  date is the UTC date in every zone used), monthly periods in UTC, Europe/Prague,
  Europe/London and America/New_York: the first period ends at the local start of
  1 November, before ``AS_OF``; the next one ends on 1 December, after it;
- 80 % in a class with two exclusive taxes (VAT 21 %, Fee 1.5 %), 10 % in a class with an
  inclusive VAT of 20 %, 10 % in a class with ``invoice_template: none``; one in five pays in
  EUR, the rest in USD; all postpaid, most without a credit limit;
- between ``per_customer / 2`` and ``3 * per_customer / 2`` entries each (mean
  ``per_customer``), all inside the first period: 65 % usage of voice, data, messaging and
  video with 6-decimal amounts, then manual charges, payments, manual and promotional
  credits and refunds in whole cents; ``balance_after_micros`` is the running sum and the
  customer's ``balance_micros`` the total, so ``sum(entries) == balance`` holds;
- three usage entries in four of voice, data and messaging are rated usage with their units:
  voice in seconds to eight destination groups (``DESTINATIONS``, two of them described),
  data in bytes, messages; the rest, and all of video, is money usage.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from bench_db import connect_sqlite, is_sqlite, pg_conninfo
from sqlalchemy import inspect, text

from kassa.auth.actor import SYSTEM
from kassa.bootstrap import seed_reference_data
from kassa.core import periods
from kassa.customer_classes.schemas import CustomerClassIn, TaxationIn, TaxIn
from kassa.customer_classes.service import create_customer_class
from kassa.db import migrate
from kassa.db.engine import Database, make_engine

FILL_VERSION = "2"
MARKER_KEY = "benchmark_billing_fill"
AS_OF = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
EPOCH = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
ZONES = ("UTC", "Europe/Prague", "Europe/London", "America/New_York")
SERVICES = ("voice", "data", "messaging", "video")
CHUNK = 10_000
PG_TEMPLATE = "kassa_bench_billing_template"
DEFAULT_SIZE = (100_000, 20)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Spec:
    customers: int
    per_customer: int

    @property
    def marker(self) -> str:
        return f"{self.customers}x{self.per_customer}:v{FILL_VERSION}"

    @property
    def suffix(self) -> str:
        return f"{self.customers}x{self.per_customer}"


# --- connections -----------------------------------------------------------------------------


def connect(url: str) -> Any:
    """A DB-API connection of the driver Kassa uses, set up as Kassa sets it up (on SQLite:
    WAL, ``synchronous=FULL``, foreign keys); the caller opens transactions."""
    if is_sqlite(url):
        return connect_sqlite(url)
    return psycopg.connect(pg_conninfo(url), autocommit=True)


def pg_admin(server: str) -> psycopg.Connection[Any]:
    return psycopg.connect(pg_conninfo(f"{server}/postgres"), autocommit=True)


# --- templates and copies --------------------------------------------------------------------


def sqlite_template(cache: Path, spec: Spec) -> Path:
    return cache / f"billing-{spec.suffix}.sqlite"


def pg_template_name(spec: Spec) -> str:
    # Named by the version of the data too: checkouts of other versions on the same server
    # keep theirs instead of refilling one database in turn.
    size = (spec.customers, spec.per_customer)
    name = f"{PG_TEMPLATE}_v{FILL_VERSION}"
    return name if size == DEFAULT_SIZE else f"{name}_{spec.suffix}"


def _marker_of(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            if "app_settings" not in tables or "alembic_version" not in tables:
                return None
            found = conn.execute(
                text("SELECT value FROM app_settings WHERE key = :k"), {"k": MARKER_KEY}
            ).scalar()
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            head = migrate.head_revision(engine)
        return str(found) if found is not None and revision == head else None
    finally:
        engine.dispose()


def ensure_sqlite_template(cache: Path, spec: Spec, refill: bool) -> Path:
    path = sqlite_template(cache, spec)
    url = f"sqlite:///{path}"
    if path.exists() and not refill and _marker_of(url) == spec.marker:
        log(f"  sqlite: using the cached data in {path}")
        return path
    cache.mkdir(parents=True, exist_ok=True)
    for extra in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-writer.lock")):
        extra.unlink(missing_ok=True)
    log(f"  sqlite: generating {spec.customers:,} customers into {path}")
    generate(url, spec)
    return path


def ensure_pg_template(server: str, spec: Spec, refill: bool) -> str:
    name = pg_template_name(spec)
    url = f"{server}/{name}"
    with pg_admin(server) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if exists and not refill and _marker_of(url) == spec.marker:
        log(f"  postgresql: using the cached database {name}")
        return name
    with pg_admin(server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    log(f"  postgresql: generating {spec.customers:,} customers into {name}")
    generate(url, spec)
    return name


def sqlite_copy(template: Path, tag: str) -> Path:
    target = template.with_name(f"run-{tag}.sqlite")
    drop_sqlite(target)
    shutil.copyfile(template, target)
    return target


def drop_sqlite(path: Path) -> None:
    for extra in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-writer.lock")):
        extra.unlink(missing_ok=True)


def pg_copy(server: str, template: str, tag: str) -> str:
    name = f"kassa_bench_billing_run_{tag}"
    with pg_admin(server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        create = f'CREATE DATABASE "{name}" TEMPLATE "{template}"'
        if admin.info.server_version >= 150000:
            # Copies the files after a checkpoint instead of writing the whole database to the
            # WAL, which would leave checkpoints to run during the measurement.
            create += " STRATEGY FILE_COPY"
        admin.execute(create)
    return name


def drop_pg(server: str, name: str) -> None:
    with pg_admin(server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- generation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Classes:
    taxed: int
    inclusive: int
    silent: int
    model: int


def _reference_data(url: str) -> Classes:
    db = Database(url)
    try:
        migrate.upgrade(db.engine)
        with db.transaction() as session:
            seed_reference_data(session)
            taxed = create_customer_class(
                session,
                SYSTEM,
                CustomerClassIn(
                    name="Business VAT",
                    grace_period_days=14,
                    taxation=TaxationIn(
                        taxes=[
                            TaxIn(name="VAT", rate=Decimal("21")),
                            TaxIn(name="Fee", rate=Decimal("1.5")),
                        ]
                    ),
                ),
            )
            inclusive = create_customer_class(
                session,
                SYSTEM,
                CustomerClassIn(
                    name="Retail",
                    grace_period_days=14,
                    taxation=TaxationIn(
                        inclusive=True, taxes=[TaxIn(name="VAT", rate=Decimal(20))]
                    ),
                ),
            )
            silent = create_customer_class(
                session,
                SYSTEM,
                CustomerClassIn(name="Wholesale", invoice_template="none"),
            )
            model = session.execute(
                text("SELECT id FROM business_models WHERE name = 'Universal'")
            ).scalar_one()
            return Classes(taxed.id, inclusive.id, silent.id, int(model))
    finally:
        db.dispose()


def _check_columns(url: str) -> None:
    """Refuse a schema with a required column this generator does not fill."""
    known = {
        "customers": set(_CUSTOMER_COLUMNS) | {"id", "alert_level"},
        "ledger_entries": set(_ENTRY_COLUMNS) | {"id"},
    }
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = inspect(conn)
            for table, columns in known.items():
                missing = [
                    c["name"]
                    for c in found.get_columns(table)
                    if c["name"] not in columns and not c["nullable"] and c.get("default") is None
                ]
                if missing:
                    raise SystemExit(f"the generator does not fill the required {table} {missing}")
    finally:
        engine.dispose()


_CUSTOMER_COLUMNS = (
    "name", "name_key", "balance_control", "currency", "credit_limit_micros", "balance_micros",
    "reserved_micros", "business_model_id", "customer_class_id", "billing_period",
    "billing_timezone", "email", "custom_data", "status", "billing_anchor_date",
    "period_start_at", "period_end_at", "created_at", "updated_at",
)  # fmt: skip
_ENTRY_COLUMNS = (
    "customer_id", "type", "amount_micros", "balance_after_micros", "currency", "service",
    "visible_comment", "internal_comment", "created_at", "units", "unit", "rate_prefix",
    "rate_description",
)  # fmt: skip
# Rated voice goes to these destinations (rate prefix, and the rate's description if any).
DESTINATIONS = (
    ("4420", None), ("44", None), ("420", "Czech Republic, fixed"), ("4930", None),
    ("1212", None), ("33", "France"), ("7495", None), ("", None),
)  # fmt: skip


def _period_ends() -> dict[str, datetime]:
    """Where each zone's first period ends: every customer's local creation date is in October,
    and a monthly period ends at the start of the next local month."""
    ends = {}
    for zone in ZONES:
        anchor = periods.anchor_day(EPOCH, zone)
        ends[zone] = periods.boundary_after("monthly", zone, anchor, EPOCH)
    assert all(e <= AS_OF for e in ends.values())
    return ends


def sqlite_stamp(value: datetime) -> str:
    """How SQLAlchemy stores a UTC datetime in SQLite."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _customer_sql(sqlite: bool, classes: Classes) -> str:
    ends = _period_ends()
    zone = " ".join(f"WHEN {n} THEN '{z}'" for n, z in enumerate(ZONES))
    if sqlite:
        end = " ".join(f"WHEN {n} THEN '{sqlite_stamp(ends[z])}'" for n, z in enumerate(ZONES))
        created = (
            f"strftime('%Y-%m-%d %H:%M:%S', '{EPOCH:%Y-%m-%d %H:%M:%S}', "
            "'+' || ((i * 7919) % 25) || ' days', "
            "'+' || ((i * 104729) % 43200) || ' seconds') || '.000000'"
        )
        series = (
            "WITH RECURSIVE s(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM s WHERE i < :last)"
        )
        pad = "substr('0000000' || i, -7)"
        source = "FROM s"
        anchor = "date(created)"
        empty_json = "'{}'"
    else:
        end = " ".join(
            f"WHEN {n} THEN TIMESTAMPTZ '{ends[z].isoformat()}'" for n, z in enumerate(ZONES)
        )
        created = (
            f"TIMESTAMPTZ '{EPOCH.isoformat()}' + ((i * 7919) % 25) * INTERVAL '1 day' "
            "+ ((i * 104729) % 43200) * INTERVAL '1 second'"
        )
        series = ""
        pad = "lpad(i::text, 7, '0')"
        source = "FROM generate_series(CAST(:first AS BIGINT), CAST(:last AS BIGINT)) AS s(i)"
        anchor = "(created AT TIME ZONE 'UTC')::date"
        empty_json = "'{}'::json"
    klass = (
        f"CASE WHEN i % 10 = 3 THEN {classes.inclusive} WHEN i % 10 = 7 THEN {classes.silent} "
        f"ELSE {classes.taxed} END"
    )
    return f"""
        {series}
        INSERT INTO customers ({", ".join(_CUSTOMER_COLUMNS)})
        SELECT name, lower(name), 'postpaid', CASE WHEN i % 5 = 0 THEN 'EUR' ELSE 'USD' END,
               CASE WHEN i % 4 = 0 THEN 2000000000 ELSE NULL END, 0, 0, {classes.model}, {klass},
               'monthly', CASE i % {len(ZONES)} {zone} END,
               CASE WHEN i % 2 = 0 THEN 'billing' || i || '@example.com' ELSE NULL END,
               {empty_json}, 'active', {anchor}, created,
               CASE i % {len(ZONES)} {end} END, created, created
        FROM (SELECT i, 'Bench Customer ' || {pad} AS name, {created} AS created {source}) AS c
    """


def _entry_sql(sqlite: bool, per_customer: int) -> str:
    """The entries of customers ``:first``..``:last``: ``n`` of them for each, ``n`` from
    ``per_customer / 2`` to ``3 * per_customer / 2`` (mean ``per_customer``)."""
    low = per_customer // 2
    spread = 2 * (per_customer - low) + 1
    most = low + spread - 1
    services = " ".join(f"WHEN {n} THEN '{s}'" for n, s in enumerate(SERVICES))
    if sqlite:
        series = f"WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < {most})"
        ks = "k"
        # Spread over the first five days of the period, which lasts at least six.
        created = (
            "strftime('%Y-%m-%d %H:%M:%S', c.created_at, "
            f"'+' || (k.n * 432000 / {most}) || ' seconds') || '.000000'"
        )
    else:
        series = ""
        ks = f"generate_series(1, {most}) AS k(n)"
        created = f"c.created_at + (k.n * 432000 / {most}) * INTERVAL '1 second'"
    # h picks the kind of entry, v the amount; both mix the customer and the entry number.
    amount = """CASE
        WHEN h < 13 THEN 1 + (v * 2654435761) % 4999999
        WHEN h < 15 THEN (100 + v % 5000) * 10000
        WHEN h < 17 THEN -(1000 + v % 5000) * 10000
        WHEN h < 19 THEN -(100 + v % 900) * 10000
        ELSE (100 + v % 1000) * 10000 END"""
    kind = """CASE
        WHEN h < 13 THEN 'usage' WHEN h < 15 THEN 'manual_charge' WHEN h < 17 THEN 'payment'
        WHEN h = 17 THEN 'manual_credit' WHEN h = 18 THEN 'promotional_credit' ELSE 'refund' END"""
    service = f"""CASE WHEN h < 13 THEN CASE v % {len(SERVICES)} {services} END
        WHEN h < 15 AND v % 3 = 0 THEN 'numbers' ELSE NULL END"""
    # Three usage entries in four of voice, data and messaging are rated (video never is):
    # voice in seconds to one of DESTINATIONS, data in bytes, messages one to three at a time.
    rated = f"h < 13 AND v % {len(SERVICES)} < 3 AND (v / 7) % 4 < 3"
    unit = f"""CASE WHEN {rated} THEN CASE v % {len(SERVICES)}
        WHEN 0 THEN 'second' WHEN 1 THEN 'byte' ELSE 'message' END END"""
    units = f"""CASE WHEN {rated} THEN CASE v % {len(SERVICES)}
        WHEN 0 THEN 1 + (v * 40503) % 3600 WHEN 1 THEN (v * 2654435761) % 100000000
        ELSE 1 + v % 3 END END"""
    where = f"(v / 3) % {len(DESTINATIONS)}"
    prefixes = " ".join(f"WHEN {n} THEN '{p}'" for n, (p, _) in enumerate(DESTINATIONS))
    described = " ".join(
        f"WHEN {n} THEN '{d}'" for n, (_, d) in enumerate(DESTINATIONS) if d is not None
    )
    prefix = f"""CASE WHEN {rated} THEN CASE WHEN v % {len(SERVICES)} = 0
        THEN CASE {where} {prefixes} END ELSE '' END END"""
    description = f"""CASE WHEN {rated} AND v % {len(SERVICES)} = 0
        THEN CASE {where} {described} END END"""
    return f"""
        {series}
        INSERT INTO ledger_entries ({", ".join(_ENTRY_COLUMNS)})
        SELECT customer_id, kind, amount,
               SUM(amount) OVER (PARTITION BY customer_id ORDER BY n), currency, service,
               '', '', created, units, unit, rate_prefix, rate_description
        FROM (
            SELECT customer_id, n, currency, created, {kind} AS kind, {amount} AS amount,
                   {service} AS service, {units} AS units, {unit} AS unit,
                   {prefix} AS rate_prefix, {description} AS rate_description
            FROM (
                SELECT c.id AS customer_id, k.n, c.currency, {created} AS created,
                       (c.id * 31 + k.n * 17) % 20 AS h, c.id * 1009 + k.n * 7 AS v
                FROM customers AS c, {ks}
                WHERE c.id BETWEEN :first AND :last AND k.n <= {low} + (c.id * 37) % {spread}
            ) AS raw
        ) AS e
        ORDER BY customer_id, n
    """


def generate(url: str, spec: Spec) -> None:
    started = time.perf_counter()
    classes = _reference_data(url)
    _check_columns(url)
    sqlite = is_sqlite(url)
    conn = connect(url)
    if sqlite:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")
    mark = "?" if sqlite else "%s"

    def run(sql: str, params: Any = None) -> None:
        if sqlite:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(sql, params or ())
            conn.execute("COMMIT")
            return
        if isinstance(params, dict):
            sql = sql.replace("%", "%%").replace(":first", "%(first)s").replace(":last", "%(last)s")
        with conn.transaction():
            conn.execute(sql, params)

    customers = _customer_sql(sqlite, classes)
    for first in range(1, spec.customers + 1, CHUNK * 10):
        last = min(first + CHUNK * 10 - 1, spec.customers)
        run(customers, {"first": first, "last": last})
        log(
            f"    customers {last:>9,} / {spec.customers:,}  {time.perf_counter() - started:6.0f} s"
        )
    low_id, high_id = conn.execute("SELECT min(id), max(id) FROM customers").fetchone()
    entries = _entry_sql(sqlite, spec.per_customer)
    for first in range(low_id, high_id + 1, CHUNK):
        last = min(first + CHUNK - 1, high_id)
        run(entries, {"first": first, "last": last})
        done = last - low_id + 1
        rate = done / (time.perf_counter() - started)
        log(
            f"    entries of {done:>9,} / {spec.customers:,} customers  "
            f"eta {(spec.customers - done) / rate:5.0f} s"
        )
    balance = """
        UPDATE customers SET balance_micros = t.total
        FROM (SELECT customer_id, SUM(amount_micros) AS total FROM ledger_entries
              GROUP BY customer_id) AS t
        WHERE t.customer_id = customers.id
    """
    run(balance)
    log(f"    balances set  {time.perf_counter() - started:6.0f} s")
    run(
        f"INSERT INTO app_settings (key, value) VALUES ({mark}, {mark})",
        (MARKER_KEY, spec.marker),
    )
    if sqlite:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        # What autovacuum does by itself shortly after a bulk load.
        conn.execute("VACUUM ANALYZE")
    count = conn.execute("SELECT count(*) FROM ledger_entries").fetchone()[0]
    conn.close()
    log(f"    {count:,} entries; generated in {time.perf_counter() - started:.0f} s")
