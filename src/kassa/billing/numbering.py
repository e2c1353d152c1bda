"""Gapless invoice numbers from an operator-set format, e.g. ``INV-{year}-{seq:06}``.

A series is a year when the format shows the year (numbering restarts each year), otherwise
one series for all time. Numbers are taken in the transaction that issues the invoices.
"""

from __future__ import annotations

import string
from datetime import date

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kassa.db.models import InvoiceCounter

DEFAULT_FORMAT = "INV-{year}-{seq:06}"
FIELDS = {"year", "month", "seq"}


def check_format(fmt: str) -> str:
    names = {name for _, name, _, _ in string.Formatter().parse(fmt) if name is not None}
    if "seq" not in names:
        raise ValueError("the invoice number format must contain {seq}")
    unknown = names - FIELDS
    if unknown:
        raise ValueError(
            f"unknown field(s) in the invoice number format: {', '.join(sorted(unknown))}"
        )
    fmt.format(year=2026, month=1, seq=1)
    return fmt


def series_of(fmt: str, issue_date: date) -> str:
    names = {name for _, name, _, _ in string.Formatter().parse(fmt) if name}
    if "month" in names:
        return f"{issue_date.year:04d}-{issue_date.month:02d}"
    if "year" in names:
        return f"{issue_date.year:04d}"
    return "all"


def take_numbers(session: Session, series: str, count: int) -> int:
    """Reserve ``count`` consecutive numbers of a series; returns the first one."""
    for _ in range(2):
        last = session.execute(
            update(InvoiceCounter)
            .where(InvoiceCounter.series == series)
            .values(last_value=InvoiceCounter.last_value + count)
            .returning(InvoiceCounter.last_value)
        ).scalar_one_or_none()
        if last is not None:
            return int(last) - count + 1
        try:
            with session.begin_nested():
                session.execute(insert(InvoiceCounter).values(series=series, last_value=0))
        except IntegrityError:
            pass  # another run created the series at the same moment
    raise RuntimeError(f"could not take invoice numbers in series {series!r}")


def format_number(fmt: str, issue_date: date, seq: int) -> str:
    return fmt.format(year=issue_date.year, month=issue_date.month, seq=seq)


def current_number(session: Session, series: str) -> int:
    return int(
        session.scalar(select(InvoiceCounter.last_value).where(InvoiceCounter.series == series))
        or 0
    )
