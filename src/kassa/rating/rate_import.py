"""A tariff's rates from a CSV file, all or nothing.

The file is read and checked in Python, every bad line reported with its line number and
column, before anything is written; then the rates it replaces are deleted and the new ones
inserted with bulk statements (``kassa.db.fast.bulk``): a file of 100,000 rates is a few
statements, not 100,000 ORM objects.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.core.clock import as_utc, utcnow
from kassa.core.errors import FieldError, ValidationFailed
from kassa.core.money import AmountError, parse_amount
from kassa.core.text import control_character_message
from kassa.db.fast.bulk import among, cyclic_gc_paused, insert_tuples
from kassa.db.models import Rate
from kassa.db.models.rate import ALWAYS_EFFECTIVE
from kassa.rating.rates import effective_problem, prefix_problem, rated_micros
from kassa.rating.schemas import MAX_UNITS
from kassa.rating.tariffs import get_tariff

COLUMNS = (
    "prefix",
    "price",
    "per",
    "first_interval",
    "next_interval",
    "connect_fee",
    "free_units",
    "effective_from",
)
DESCRIPTION = "description"
HEADER = ",".join(COLUMNS)
MAX_ERRORS = 100
MAX_DESCRIPTION = 200
INSERTED = (
    "tariff_id",
    "prefix",
    "price_micros",
    "per",
    "first_interval",
    "next_interval",
    "connect_fee_micros",
    "free_units",
    "effective_from",
    "description",
    "created_at",
)
# Columns that may be left empty, and what an empty one means.
EMPTY_MEANS: dict[str, Any] = {
    "first_interval": 1,
    "next_interval": 1,
    "connect_fee": 0,
    "free_units": 0,
    "effective_from": ALWAYS_EFFECTIVE,
}


class CellError(ValueError):
    """Why one cell is refused."""


def _units(text: str, least: int) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 13 or int(text) < least:
        raise CellError(f"must be a whole number from {least} to {MAX_UNITS:,}, got {text!r}")
    value = int(text)
    if value > MAX_UNITS:
        raise CellError(f"must be at most {MAX_UNITS:,}")
    return value


# A price as rate files write it: read in integers, a third of the cost of Decimal. Anything
# else (more decimals, exponents, signs) takes the exact path, which refuses or accepts it.
PLAIN_MONEY = re.compile(r"([0-9]{1,12})(?:\.([0-9]{0,6}))?")


def _money(text: str) -> int:
    plain = PLAIN_MONEY.fullmatch(text)
    if plain is not None:
        whole, fraction = plain.groups()
        return int(whole) * 1_000_000 + int((fraction or "").ljust(6, "0"))
    try:
        return rated_micros(parse_amount(text))
    except AmountError as exc:
        raise CellError(str(exc)) from exc


def _effective(text: str) -> datetime:
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            value = datetime(day.year, day.month, day.day, tzinfo=UTC)
        else:
            value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CellError(
            f"{text!r} is not a date or a time, e.g. 2027-01-01 or 2027-01-01T00:00:00Z"
        ) from exc
    problem = effective_problem(value)
    if problem:
        raise CellError(problem)
    return as_utc(value)


def _prefix(text: str) -> str:
    problem = prefix_problem(text)
    if problem:
        raise CellError(problem)
    return text


def _description(text: str) -> str | None:
    if len(text) > MAX_DESCRIPTION:
        raise CellError(f"must be at most {MAX_DESCRIPTION} characters")
    problem = control_character_message(text, multiline=False)
    if problem:
        raise CellError(problem)
    return text or None


PARSERS = {
    "prefix": _prefix,
    "price": _money,
    "per": lambda text: _units(text, 1),
    "first_interval": lambda text: _units(text, 1),
    "next_interval": lambda text: _units(text, 1),
    "connect_fee": _money,
    "free_units": lambda text: _units(text, 0),
    "effective_from": _effective,
}


class _Report:
    """The file's errors as they are found, up to MAX_ERRORS of them."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    @property
    def full(self) -> bool:
        return len(self.errors) >= MAX_ERRORS

    def add(self, line: int, column: str | None, message: str) -> None:
        where = f"line {line}, column {column}" if column else f"line {line}"
        self.errors.append(
            FieldError(column or "line", f"{where}: {message}", line=line, column=column)
        )

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        lines = sorted({e.line for e in self.errors if e.line is not None})
        more = " (the first 100 errors; there may be more)" if self.full else ""
        detail = (
            f"the file has errors on {len(lines)} line(s){more}, and nothing was imported: "
            + "; ".join(e.message for e in self.errors[:5])
        )
        raise ValidationFailed(detail, code="invalid_rate_file", errors=self.errors)


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.field(
            "body", f"is not UTF-8 text (byte {exc.start + 1} is not)", code="invalid_rate_file"
        ) from exc


def _rows(text: str, report: _Report) -> Iterator[tuple[int, list[str]]]:
    """Each row that holds anything, with the line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.add(line, None, f"is not valid CSV ({exc})")
            return
        if any(cell.strip() for cell in row):
            yield line, [cell.strip() for cell in row]


def _check_header(line: int, row: list[str], report: _Report) -> bool:
    """Whether the header names the columns in order; the description column may follow."""
    names = [cell.lower() for cell in row]
    allowed = [*COLUMNS, DESCRIPTION]
    if names in (list(COLUMNS), allowed):
        return True
    for index in range(max(len(names), len(COLUMNS))):
        found = f"'{row[index]}'" if index < len(names) else "nothing"
        if index >= len(allowed):
            report.add(line, None, f"column {index + 1} is {found}; '{DESCRIPTION}' is the last")
            return False
        if index >= len(names) or names[index] != allowed[index]:
            report.add(
                line,
                allowed[index],
                f"the header must be '{HEADER}' (optionally ',{DESCRIPTION}'): "
                f"column {index + 1} should be '{allowed[index]}', found {found}",
            )
            return False
    return True


def parse_rates(data: bytes) -> list[tuple[Any, ...]]:
    """The file's rates as (prefix, price micros, per, first interval, next interval, connect
    fee micros, free units, effective from, description); ValidationFailed listing every bad
    line (up to MAX_ERRORS) when there is one."""
    report = _Report()
    rows = _rows(_text(data), report)
    first = next(rows, None)
    if first is None:
        report.raise_if_any()
        raise ValidationFailed.field(
            "body",
            f"is empty: the first line must be the header '{HEADER}'",
            code="invalid_rate_file",
        )
    if not _check_header(*first, report):
        report.raise_if_any()
    width = len(first[1])
    parsers = [(name, PARSERS[name]) for name in COLUMNS]
    rates: list[tuple[Any, ...]] = []
    seen: dict[tuple[str, datetime], int] = {}
    for line, row in rows:
        if report.full:
            break
        if len(row) < len(COLUMNS) or len(row) > width:
            missing = COLUMNS[len(row)] if len(row) < len(COLUMNS) else None
            report.add(
                line,
                missing,
                f"has {len(row)} columns, the header {width}"
                + (" (is a comma missing?)" if missing else ""),
            )
            continue
        values: list[Any] = []
        bad = False
        for (name, parse), cell in zip(parsers, row, strict=False):
            if not cell and name in EMPTY_MEANS:
                values.append(EMPTY_MEANS[name])
                continue
            if not cell and name != "prefix":
                report.add(line, name, "is required")
                bad = True
                continue
            try:
                values.append(parse(cell))
            except CellError as exc:
                report.add(line, name, str(exc))
                bad = True
        description = row[len(COLUMNS)] if len(row) > len(COLUMNS) else ""
        try:
            values.append(_description(description))
        except CellError as exc:
            report.add(line, DESCRIPTION, str(exc))
            bad = True
        if bad:
            continue
        key = (values[0], values[7])
        if key in seen:
            report.add(
                line,
                "prefix",
                f"line {seen[key]} has a rate with the same prefix and effective_from",
            )
            continue
        seen[key] = line
        rates.append(tuple(values))
    report.raise_if_any()
    return rates


def import_rates(session: Session, actor: Actor, tariff_id: int, data: bytes) -> int:
    """Add the file's rates to the tariff, each replacing the tariff's rate with the same
    prefix and effective_from; returns how many the file held."""
    get_tariff(session, tariff_id)
    with cyclic_gc_paused():
        rates = parse_rates(data)
        # Read and written under the tariff's row lock, taken once the file is known good.
        tariff = get_tariff(session, tariff_id, for_update=True)
        existing = {
            (prefix, as_utc(effective)): rate_id
            for rate_id, prefix, effective in session.execute(
                select(Rate.id, Rate.prefix, Rate.effective_from).where(Rate.tariff_id == tariff.id)
            )
        }
        replaced = [existing[key] for key in ((r[0], r[7]) for r in rates) if key in existing]
        if replaced:
            session.execute(
                delete(Rate).where(among(session, Rate.id, replaced)),
                execution_options={"synchronize_session": False},
            )
        now = utcnow()
        insert_tuples(session, Rate, INSERTED, [(tariff.id, *r, now) for r in rates])
    audit.record(
        session,
        actor,
        "import",
        "tariff",
        tariff.id,
        after={"imported": len(rates), "replaced": len(replaced)},
    )
    return len(rates)
