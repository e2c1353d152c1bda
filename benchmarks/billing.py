"""Billing benchmark: a bill run over many customers, and invoice documents, each printed beside
a floor measured in the same run.

    .venv/bin/python benchmarks/billing.py [--backend sqlite|postgresql|both]
        [--customers 100000] [--entries-per-customer 20] [--runs 3] [--batch-size N]
        [--pdf-invoices 20] [--quick] [--refill]

Figures (medians of --runs runs; every run starts from a fresh copy of the same data):
  1. Invoices per second of ``kassa.billing.runs.run_billing(db, None, as_of=...)`` closing the
     first period of every customer (see billing_data.py for the data). Floor: the raw-SQL
     work any biller must do on a copy of the same data, through the same driver (see
     billing_baseline.py), in customers aggregated per second. Target: Kassa >= 25 % of it.
  2. Milliseconds per invoice of ``invoice_pdf`` (HTML, PDF, kept in the database) and of
     ``render_invoice_html`` alone, on --pdf-invoices invoices of that run, after one warm-up
     invoice. Floor: WeasyPrint turning a one-paragraph page into a PDF.

The generated data is kept (benchmarks/.cache/ for SQLite, the PostgreSQL database
kassa_bench_billing_template_v<version>) and reused until --refill or a new schema.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import billing_data as data  # noqa: E402
from bench_report import Row, print_table  # noqa: E402
from billing_baseline import BaselineResult, run_baseline  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from kassa.billing.documents import html_to_pdf, invoice_pdf, render_invoice_html  # noqa: E402
from kassa.billing.queries import get_invoice  # noqa: E402
from kassa.billing.runs import DEFAULT_BATCH, run_billing  # noqa: E402
from kassa.core.clock import utcnow  # noqa: E402
from kassa.db.engine import Database  # noqa: E402
from kassa.db.models import Customer, CustomerClass, Invoice, LedgerEntry  # noqa: E402

CACHE = HERE / ".cache"
PG_SERVER = os.environ.get("KASSA_BENCH_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")
NUMBER_FORMAT = "INV-{year}-{seq:06}"
TARGET = 0.25
FLOOR_HTML = "<html><body><h1>Invoice</h1><p>Nothing to pay.</p></body></html>"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class KassaResult:
    invoices: int
    periods: int
    seconds: float
    cpu: float
    html_ms: list[float] = field(default_factory=list)
    pdf_ms: list[float] = field(default_factory=list)
    floor_ms: list[float] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.invoices / self.seconds


# --- one run ---------------------------------------------------------------------------------


def _expected(db: Database) -> tuple[int, int]:
    """Due customers, and how many of them get an invoice (their class has a template)."""
    with db.reading() as session:
        due = session.scalar(
            select(func.count()).select_from(Customer).where(Customer.period_end_at <= data.AS_OF)
        )
        invoiced = session.scalar(
            select(func.count())
            .select_from(Customer)
            .join(CustomerClass, CustomerClass.id == Customer.customer_class_id)
            .where(Customer.period_end_at <= data.AS_OF, CustomerClass.invoice_template != "none")
        )
    return int(due or 0), int(invoiced or 0)


def _check(db: Database, due: int, invoiced: int, periods: int, invoices: int) -> None:
    if (periods, invoices) != (due, invoiced):
        raise RuntimeError(
            f"the run closed {periods} periods and issued {invoices} invoices; "
            f"expected {due} and {invoiced}"
        )
    with db.reading() as session:
        left = session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.billing_period_id.is_(None), LedgerEntry.created_at < data.AS_OF)
        )
    if left:
        raise RuntimeError(f"{left} entries of closed periods were left unbilled")


def _timed(action: Callable[[], object]) -> float:
    began = time.perf_counter()
    action()
    return (time.perf_counter() - began) * 1000


def documents(db: Database, count: int, result: KassaResult) -> None:
    """Time HTML and PDF of ``count`` invoices spread over the run, after one warm-up."""
    with db.reading() as session:
        ids = list(session.scalars(select(Invoice.id).order_by(Invoice.id)))
    if len(ids) < count + 1:
        raise RuntimeError(f"only {len(ids)} invoices to render")
    step = len(ids) // (count + 1)
    chosen = [ids[i * step] for i in range(count + 1)]

    def html(invoice_id: int) -> float:
        with db.reading() as session:
            invoice = get_invoice(session, invoice_id)
            return _timed(lambda: render_invoice_html(session, invoice, None))

    def pdf(invoice_id: int) -> float:
        with db.transaction() as session:
            return _timed(lambda: invoice_pdf(session, invoice_id))

    html(chosen[0])
    pdf(chosen[0])
    html_to_pdf(FLOOR_HTML)
    for invoice_id in chosen[1:]:
        result.html_ms.append(html(invoice_id))
        result.pdf_ms.append(pdf(invoice_id))
        result.floor_ms.append(_timed(lambda: html_to_pdf(FLOOR_HTML)))


def kassa_run(url: str, args: argparse.Namespace) -> KassaResult:
    db = Database(url)
    try:
        due, invoiced = _expected(db)
        last = [time.perf_counter()]

        def progress(done: int, total: int) -> None:
            if time.perf_counter() - last[0] >= 10 or done == total:
                last[0] = time.perf_counter()
                log(f"      kassa: {done:,} / {total:,} customers")

        began, cpu = time.perf_counter(), time.process_time()
        summary = run_billing(
            db,
            None,
            as_of=data.AS_OF,
            number_format=NUMBER_FORMAT,
            batch_size=args.batch_size,
            progress=progress,
        )
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        _check(db, due, invoiced, summary.periods_closed, summary.invoices_issued)
        result = KassaResult(summary.invoices_issued, summary.periods_closed, seconds, cpu)
        if args.pdf_invoices:
            documents(db, args.pdf_invoices, result)
        return result
    finally:
        db.dispose()


# --- one backend -----------------------------------------------------------------------------


class Backend:
    """Where a backend's template lives, and fresh copies of it for each measurement."""

    def __init__(self, name: str, spec: data.Spec, refill: bool) -> None:
        self.name = name
        if name == "sqlite":
            self.template = str(data.ensure_sqlite_template(CACHE, spec, refill))
        else:
            self.template = data.ensure_pg_template(PG_SERVER, spec, refill)
        self.copies = 0

    @contextmanager
    def copy(self) -> Iterator[str]:
        self.copies += 1
        tag = f"{os.getpid()}_{self.copies}"
        began = time.perf_counter()
        if self.name == "sqlite":
            path = data.sqlite_copy(Path(self.template), tag)
            url = f"sqlite:///{path}"
        else:
            name = data.pg_copy(PG_SERVER, self.template, tag)
            url = f"{PG_SERVER}/{name}"
        log(f"    fresh copy in {time.perf_counter() - began:.1f} s")
        try:
            yield url
        finally:
            if self.name == "sqlite":
                data.drop_sqlite(path)
            else:
                data.drop_pg(PG_SERVER, name)


def bench_backend(name: str, args: argparse.Namespace) -> list[Row]:
    spec = data.Spec(args.customers, args.entries_per_customer)
    log(f"{name}: {spec.customers:,} customers, ~{spec.customers * spec.per_customer:,} entries")
    backend = Backend(name, spec, args.refill)
    kassa: list[KassaResult] = []
    floor: list[BaselineResult] = []
    for run in range(1, args.runs + 1):
        log(f"  run {run}/{args.runs}")
        with backend.copy() as url:
            cpu = time.process_time()
            base = run_baseline(url, data.AS_OF, utcnow())
            cpu = time.process_time() - cpu
        steps = ", ".join(f"{k} {v:.2f}" for k, v in base.steps.items())
        log(
            f"    baseline: {base.customers:,} customers, {base.groups:,} sums in "
            f"{base.seconds:.2f} s (this process's CPU {cpu:.2f} s) = {base.per_second:,.0f}/s"
            f"  ({steps})"
        )
        floor.append(base)
        with backend.copy() as url:
            mine = kassa_run(url, args)
        log(
            f"    kassa: {mine.invoices:,} invoices, {mine.periods:,} periods in "
            f"{mine.seconds:.2f} s (this process's CPU {mine.cpu:.2f} s) = "
            f"{mine.per_second:,.0f} invoices/s"
            f" = {mine.per_second / base.per_second:.0%} of the baseline"
        )
        if mine.pdf_ms:
            log(
                f"    documents: pdf median {statistics.median(mine.pdf_ms):.0f} ms, "
                f"html median {statistics.median(mine.html_ms):.1f} ms"
            )
        kassa.append(mine)
    return _rows(name, spec, args, kassa, floor)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _rows(
    name: str,
    spec: data.Spec,
    args: argparse.Namespace,
    kassa: list[KassaResult],
    floor: list[BaselineResult],
) -> list[Row]:
    rate = statistics.median(k.per_second for k in kassa)
    base = statistics.median(b.per_second for b in floor)
    ratio = rate / base
    seconds = statistics.median(k.seconds for k in kassa)
    base_seconds = statistics.median(b.seconds for b in floor)
    rows = [
        Row(
            name,
            f"bill run, invoices/s (batch {args.batch_size})",
            f"{rate:,.0f}/s ({kassa[0].invoices:,} in {seconds:.1f} s)",
            f"{base:,.0f} customers/s ({floor[0].customers:,} in {base_seconds:.1f} s)",
            f"{ratio:.0%}",
            f">= {TARGET:.0%}",
            ratio >= TARGET,
        )
    ]
    if args.pdf_invoices:
        # Medians and p95 over every invoice of every run.
        pdf = [ms for k in kassa for ms in k.pdf_ms]
        html = [ms for k in kassa for ms in k.html_ms]
        plain = [ms for k in kassa for ms in k.floor_ms]
        floor_median = statistics.median(plain)
        rows += [
            Row(
                name,
                "invoice_pdf ms, median",
                f"{statistics.median(pdf):.0f} ms",
                f"{floor_median:.0f} ms (WeasyPrint, 1 paragraph)",
                f"{statistics.median(pdf) / floor_median:.1f}x",
                "",
                None,
            ),
            Row(
                name,
                "invoice_pdf ms, p95",
                f"{_p95(pdf):.0f} ms",
                f"{_p95(plain):.0f} ms",
                f"{_p95(pdf) / _p95(plain):.1f}x",
                "",
                None,
            ),
            Row(name, "render_invoice_html ms, median", f"{statistics.median(html):.1f} ms",
                "", "", "", None),
            Row(name, "render_invoice_html ms, p95", f"{_p95(html):.1f} ms", "", "", "", None),
        ]  # fmt: skip
    return rows


def print_rows(rows: list[Row], args: argparse.Namespace) -> None:
    print_table(
        rows,
        f"Billing benchmark: medians of {args.runs} run(s), {args.customers:,} customers, "
        f"~{args.customers * args.entries_per_customer:,} ledger entries, "
        f"{args.pdf_invoices} invoices rendered per run, {os.cpu_count()} CPUs.",
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--customers", type=int, default=data.DEFAULT_SIZE[0])
    parser.add_argument("--entries-per-customer", type=int, default=data.DEFAULT_SIZE[1])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--pdf-invoices", type=int, default=20, help="0: skip the documents")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1,000 customers")
    parser.add_argument("--refill", action="store_true", help="generate the data again")
    args = parser.parse_args(argv)
    if args.quick:
        args.customers, args.pdf_invoices = 1_000, min(args.pdf_invoices, 5)
    if args.customers < 1 or args.entries_per_customer < 2 or args.runs < 1:
        parser.error("--customers, --runs >= 1 and --entries-per-customer >= 2, please")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    rows: list[Row] = []
    for backend in backends:
        rows.extend(bench_backend(backend, args))
    print_rows(rows, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
