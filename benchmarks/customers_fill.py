"""A large, realistic customer table, filled fast with set-based SQL and cached between runs.

Names are companies ("Velorix Networks s.r.o.") and people ("Jana K. Novak"), built from word
lists through a bijection of the row number, so every name (and name key) is unique and the
same rows come back on every fill and on both databases. Balances stay zero: no ledger entries
are needed for ``sum(entries) == balance`` to hold.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from customers_sql import INSERT_COLUMNS, connect, is_sqlite, name_key, sqlite_timestamp
from sqlalchemy import inspect, text

from kassa.core import periods
from kassa.db import migrate
from kassa.db.engine import make_engine

FILL_VERSION = "3"
MARKER_KEY = "benchmark_fill"
CHUNK = 50_000


def _words(text: str) -> list[str]:
    return text.split()


_STARTS = _words(
    "vel quan bri nor cor zen mar pol lum sol ver nex omn kal dur fen gal hor jas kir "
    "lor mod ost pra rad sil tam vin bel tor"
)
_MIDDLES = _words("o a i e u ara eli ona ini ura ado eto")
_ENDS = _words(
    "rix net tel tek com vox link wave nova via tron dex lia mont sys gate bit cast "
    "lan field port star line well ford pine stone bridge dale"
)
BRANDS = sorted({(s + m + e).capitalize() for s in _STARTS for m in _MIDDLES for e in _ENDS})
INDUSTRIES = _words(
    "Telecom Networks Fiber Broadband Wireless Cloud Hosting Data Systems Solutions "
    "Communications Media Voice Mobile Connect Digital Labs Software Logistics Energy Security "
    "Consulting Services Trading Group Holdings Partners Electronics Satellite Cable Internet "
    "Online Technologies Ventures Analytics Retail Health Travel Foods Studio"
)
LEGAL_FORMS = _words("Ltd Inc. LLC GmbH s.r.o. a.s. S.A. B.V. AG Oy AB plc")
FIRST_NAMES = _words(
    "Anna Jan Petra Tomas Eva Martin Jana Pavel Lucie Jakub Marie Lukas Tereza David Katerina "
    "Michal Veronika Ondrej Barbora Filip Klara Adam Simona Vojtech Monika Daniel Zuzana Marek "
    "Hana Roman Olga Karel Ivana Josef Alena Milan Lenka Petr Irena Jiri Sofia Lars Ingrid Sven "
    "Astrid Henrik Emma Noah Olivia Liam Ava Lucas Mia Mateo Isla Leo Chloe Hugo Alice Oscar "
    "Julia Felix Clara Elias Nora Theo Lea Arthur Maja Louis Zoe Paul Ida Max Ella Ben Lina "
    "Finn Amelie Anton Greta Emil Frida Aron Lotta Bruno Marta Carlos Lucia Diego Elena Pablo "
    "Carmen Javier Ines Marco Giulia Luca Chiara Matteo Sara Andrea Francesca Piotr Agnieszka "
    "Tomasz Katarzyna Krzysztof Magdalena Marcin Joanna Pierre Camille Antoine Manon Nicolas"
)
INITIALS = [chr(c) + "." for c in range(ord("A"), ord("Z") + 1)]
LAST_NAMES = _words(
    "Novak Svoboda Novotny Dvorak Cerny Prochazka Kucera Vesely Horak Nemec Marek Pospisil "
    "Hajek Jelinek Kral Ruzicka Benes Fiala Sedlacek Dolezal Zeman Kolar Navratil Cermak "
    "Vanek Urban Blaha Kriz Kovar Bartos Vlcek Polak Musil Kopecky Simek Konecny Maly Holub "
    "Stepanek Kadlec Soukup Bures Moravec Sykora Tichy Valenta Matousek Smith Johnson Williams "
    "Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores "
    "Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Muller Schmidt "
    "Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf "
    "Schroder Neumann Schwarz Zimmermann Braun Kruger Hofmann Hartmann Lange Schmitt Werner "
    "Krause Meier Lehmann Schmid Schulze Maier Kohler Herrmann Konig Walter Mayer Huber "
    "Kaiser Fuchs Peters Lang Scholz Moller Weiss Jung Hahn Vogel Friedrich Keller Gunther "
    "Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht Ludwig Winter Simon "
    "Kraus Bohm Schuster Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino "
    "Greco Bruno Gallo Conti DeLuca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri "
    "Fontana Santoro Mariani Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile "
    "Martinelli Vitale Lombardo Serra Coppola DeSantis Dangelo Marchetti Parisi Villa Conte "
    "Ferraro Ferri Fabbri Bianco Marini Grasso Valentini Messina Sala Nowak Kowalski "
    "Wisniewski Wojcik Kowalczyk Kaminski Lewandowski Zielinski Szymanski Wozniak Dabrowski "
    "Kozlowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski Pawlowski Michalski "
    "Nieminen Virtanen Korhonen Makinen Hamalainen Laine Heikkinen Koskinen Jarvinen Lehtonen "
    "Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen "
    "Johansson Andersson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson "
    "Dubois Durand Leroy Moreau Laurent Lefebvre Michel Garnier Faure Rousseau Blanc Guerin "
    "Muller Henry Roussel Nicolas Perrin Morin Mathieu Clement Gauthier Dumont Lopez Fontaine"
)
LAST_NAMES = sorted(set(LAST_NAMES))
PERIODS = ("monthly", "monthly", "monthly", "monthly_anniversary", "weekly", "semimonthly")
ZONES = ("UTC", "Europe/Prague", "Europe/Berlin", "Europe/London", "America/New_York")
MODELS_PER_ROW = 7

COMPANY_SPACE = len(BRANDS) * len(INDUSTRIES) * len(LEGAL_FORMS)
PERSON_SPACE = len(FIRST_NAMES) * len(INITIALS) * len(LAST_NAMES)


def _scatter(ordinal: int, space: int) -> int:
    """A bijection of ``range(space)``: neighbouring rows get unrelated names."""
    step = 1_000_003
    while _gcd(step, space) != 1:
        step += 2
    return (ordinal * step + 12_345) % space


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def customer_name(row: int) -> str:
    """Row ``row`` (0-based): three in five are companies, two in five people."""
    block, slot = divmod(row, 5)
    if slot < 3:
        x = _scatter(block * 3 + slot, COMPANY_SPACE)
        x, legal = divmod(x, len(LEGAL_FORMS))
        brand, industry = divmod(x, len(INDUSTRIES))
        return f"{BRANDS[brand]} {INDUSTRIES[industry]} {LEGAL_FORMS[legal]}"
    x = _scatter(block * 2 + slot - 3, PERSON_SPACE)
    x, last = divmod(x, len(LAST_NAMES))
    first, initial = divmod(x, len(INITIALS))
    return f"{FIRST_NAMES[first]} {INITIALS[initial]} {LAST_NAMES[last]}"


def capacity() -> int:
    return min(COMPANY_SPACE * 5 // 3, PERSON_SPACE * 5 // 2)


PERIOD_COLUMNS = ("billing_anchor_date", "period_start_at", "period_end_at")


def _rows(
    count: int, model_ids: list[int], class_id: int, sqlite: bool, with_periods: bool
) -> Iterator[tuple[Any, ...]]:
    epoch = datetime(2023, 1, 1, tzinfo=UTC)
    now = datetime.now(UTC)
    open_periods: dict[tuple[str, str, date], tuple[datetime, datetime]] = {}
    for row in range(count):
        name = customer_name(row)
        prepaid = row % 3 == 0
        created = epoch + timedelta(seconds=row * 90)
        stamp: Any = sqlite_timestamp(created) if sqlite else created
        status = "blocked" if row % 97 == 0 else "closed" if row % 211 == 0 else "active"
        period, zone = PERIODS[row % len(PERIODS)], ZONES[row % len(ZONES)]
        values: tuple[Any, ...] = (
            name,
            name_key(name),
            "prepaid" if prepaid else "postpaid",
            "EUR" if row % 4 == 0 else "USD",
            0 if prepaid else (None if row % 5 == 0 else (row % 20 + 1) * 50 * 1_000_000),
            0,
            0,
            model_ids[row % len(model_ids)],
            class_id,
            period,
            zone,
            f"billing{row}@example.com" if row % 2 == 0 else None,
            json.dumps({}),
            status,
            stamp,
            stamp,
        )
        if with_periods:
            # The open period is the one containing now, as if every billing run so far had
            # happened: a live system has nothing overdue for billing. Long past creation its
            # bounds depend on the local creation date only, so each is computed once.
            anchor = periods.anchor_day(created, zone)
            key = (period, zone, anchor)
            if key not in open_periods:
                open_periods[key] = periods.period_containing(period, zone, created, now)
            start, end = open_periods[key]
            if sqlite:
                values += (anchor.isoformat(), sqlite_timestamp(start), sqlite_timestamp(end))
            else:
                values += (anchor, start, end)
        yield values


def marker(count: int) -> str:
    return f"{count}:{FILL_VERSION}"


def is_current(url: str, count: int) -> bool:
    """Whether ``url`` holds this fill of ``count`` customers, at the newest schema."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            if "app_settings" not in tables or "alembic_version" not in tables:
                return False
            found = conn.execute(
                text("SELECT value FROM app_settings WHERE key = :k"), {"k": MARKER_KEY}
            ).scalar()
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return found == marker(count) and revision == migrate.head_revision(engine)
    finally:
        engine.dispose()


def _columns(url: str) -> tuple[str, bool]:
    """The column list to fill; refuses a schema with a required column this fill lacks."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            table = inspect(conn).get_columns("customers")
    finally:
        engine.dispose()
    known = {c.strip() for c in INSERT_COLUMNS.split(",")} | set(PERIOD_COLUMNS) | {"id"}
    missing = [
        c["name"]
        for c in table
        if c["name"] not in known and not c["nullable"] and c.get("default") is None
    ]
    if missing:
        raise SystemExit(f"the fill does not know the required customer columns {missing}")
    with_periods = all(any(c["name"] == p for c in table) for p in PERIOD_COLUMNS)
    columns = INSERT_COLUMNS + (", " + ", ".join(PERIOD_COLUMNS) if with_periods else "")
    return columns, with_periods


def fill(url: str, count: int) -> None:
    """Insert ``count`` customers into an empty, bootstrapped database, printing progress."""
    if count > capacity():
        raise SystemExit(f"the name generator holds {capacity()} unique names; ask for fewer")
    columns, with_periods = _columns(url)
    width = len(columns.split(","))
    conn = connect(url)
    sqlite = is_sqlite(url)
    model_ids = [r[0] for r in conn.execute("SELECT id FROM business_models ORDER BY id")]
    (class_id,) = conn.execute("SELECT id FROM customer_classes WHERE is_default").fetchone()
    started = time.perf_counter()
    rows = _rows(count, model_ids, class_id, sqlite, with_periods)
    done = 0
    if sqlite:
        # Bulk-load settings for this connection only; the file is checkpointed at the end.
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")
    while done < count:
        chunk = list(itertools.islice(rows, CHUNK))
        if sqlite:
            # executemany of one prepared INSERT; the FTS triggers index each name as it lands.
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                f"INSERT INTO customers ({columns}) VALUES ({', '.join('?' * width)})", chunk
            )
            conn.execute("COMMIT")
        else:
            copy_sql = f"COPY customers ({columns}) FROM STDIN"
            with conn.transaction(), conn.cursor() as cur, cur.copy(copy_sql) as copy:
                for item in chunk:
                    copy.write_row(item)
        done += len(chunk)
        elapsed = time.perf_counter() - started
        rate = done / elapsed
        print(
            f"    filled {done:>9,} / {count:,} customers  {rate:>8,.0f}/s  "
            f"eta {(count - done) / rate:5.0f} s",
            file=sys.stderr,
            flush=True,
        )
    mark = "?, ?" if sqlite else "%s, %s"
    conn.execute(
        f"INSERT INTO app_settings (key, value) VALUES ({mark})", (MARKER_KEY, marker(count))
    )
    if sqlite:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        # What autovacuum does on its own shortly after a bulk load.
        conn.execute("VACUUM ANALYZE customers")
    conn.close()
    print(f"    fill done in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
