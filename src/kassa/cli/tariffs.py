"""``kassa tariffs``: list, create and show tariffs, and import their rates from CSV files."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape

from kassa.cli.context import CLI_ACTOR, CliProblem, err, out, state
from kassa.cli.tables import fields, row, table, when
from kassa.core.errors import ValidationFailed
from kassa.core.ids import MAX_ID
from kassa.core.vocabulary import RatingUnit
from kassa.rating import rate_import, rates, tariffs
from kassa.rating.schemas import TariffIn, TariffOut

app = typer.Typer(
    help="Tariffs: the prices of one service in one currency, as rates by destination prefix. "
    "List, create, show, and import rates from a CSV file.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

IMPORT_HELP = f"""Import a tariff's rates from a CSV file (all or nothing).

The first line is the header

    {rate_import.HEADER}

optionally followed by **,{rate_import.DESCRIPTION}**; then one rate a line, e.g.

    4420,0.0120,60,60,6,0.00,0,,United Kingdom London

**prefix**: digits, or empty for every other destination. **price**: per **per** units, up to 6
decimals. **first_interval**, **next_interval** (default 1), **connect_fee**, **free_units**
(default 0) may be left empty; an empty **effective_from** means always, a date alone midnight
UTC. A line with the prefix and effective_from of one of the tariff's rates replaces it.

Prints how many rates were imported; on a bad file, every bad line (with its line number and
column) and exits 1, having imported nothing. FILE '-' reads standard input."""


def _print_tariff(tariff: TariffOut, rate_total: int, products_using: int) -> None:
    out().print(
        fields(
            [
                ("ID", tariff.id),
                ("Name", tariff.name),
                ("Currency", tariff.currency),
                ("Service", tariff.service),
                ("Unit", tariff.unit),
                ("Rates", f"{rate_total:,}"),
                ("Products using it", products_using),
                ("Created", when(tariff.created_at)),
                ("Updated", when(tariff.updated_at)),
            ]
        )
    )


@app.command("list")
def list_tariffs(
    ctx: typer.Context,
    currency: str | None = typer.Option(None, "--currency", help="Only tariffs in this currency."),
    service: str | None = typer.Option(None, "--service", help="Only tariffs of this service."),
    limit: int = typer.Option(50, "--limit", help="Tariffs per page, 1 to 500."),
    cursor: str | None = typer.Option(
        None, "--cursor", help="Continue after the previous page (printed below it)."
    ),
) -> None:
    """List tariffs, oldest first, with how many rates each has."""
    db = state(ctx).database()
    with db.reading() as session:
        rows, next_cursor = tariffs.page_tariffs(
            session, limit=limit, cursor=cursor, currency=currency, service=service
        )
        counts = tariffs.rate_counts(session)
        shown = [(tariffs.tariff_out(t), counts.get(t.id, 0)) for t in rows]
    console = out()
    if not shown:
        console.print("No tariffs match.")
    else:
        result = table("ID", "Name", "Currency", "Service", "Unit", "Rates", right=("ID", "Rates"))
        for tariff, count in shown:
            result.add_row(
                *row(tariff.id, tariff.name, tariff.currency, tariff.service, tariff.unit, count)
            )
        console.print(result)
    if next_cursor:
        console.print(f"Next cursor: {next_cursor}  (kassa tariffs list --cursor {next_cursor})")


@app.command()
def create(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help="Tariff name, unique."),
    currency: str = typer.Option(..., "--currency", help="ISO 4217 code of an enabled currency."),
    service: str = typer.Option(
        ..., "--service", help="The service it rates, one a business model offers (e.g. voice)."
    ),
    unit: RatingUnit = typer.Option(
        ..., "--unit", help="What the network counts: second, byte, message or unit."
    ),
) -> None:
    """Create a tariff and show it; then import its rates with `kassa tariffs import`."""
    db = state(ctx).database()
    body = {"name": name, "currency": currency, "service": service, "unit": unit.value}
    with db.transaction() as session:
        tariff = tariffs.tariff_out(
            tariffs.create_tariff(session, CLI_ACTOR, TariffIn.model_validate(body))
        )
    out().print(f"Created tariff {tariff.id}.", markup=False)
    _print_tariff(tariff, 0, 0)


@app.command()
def show(
    ctx: typer.Context,
    tariff_id: int = typer.Argument(..., metavar="ID", min=1, max=MAX_ID, help="The tariff's id."),
    prefix: str | None = typer.Option(
        None, "--prefix", help="Only rates whose prefix starts with these digits."
    ),
    limit: int = typer.Option(50, "--limit", help="Rates per page, 1 to 500."),
    cursor: str | None = typer.Option(
        None, "--cursor", help="Continue after the previous page of rates (printed below it)."
    ),
) -> None:
    """Show a tariff and a page of its rates."""
    db = state(ctx).database()
    with db.reading() as session:
        found = tariffs.get_tariff(session, tariff_id)
        tariff = tariffs.tariff_out(found)
        total = tariffs.rate_counts(session).get(tariff_id, 0)
        used = tariffs.products_using(session, tariff_id)
        page, next_cursor = rates.page_rates(
            session, tariff_id, prefix=prefix, limit=limit, cursor=cursor
        )
        shown = rates.rates_out(session, found.currency, page)
    _print_tariff(tariff, total, used)
    console = out()
    if not shown:
        console.print("No rates match.")
        return
    result = table(
        "Prefix",
        "Price",
        "Per",
        "Intervals",
        "Connect fee",
        "Free",
        "Effective from",
        "Description",
        right=("Price", "Per", "Connect fee", "Free"),
    )
    for r in shown:
        result.add_row(
            *row(
                r.prefix or "(any other)",
                r.price,
                r.per,
                f"{r.first_interval}/{r.next_interval}",
                r.connect_fee,
                r.free_units,
                when(r.effective_from) if r.effective_from else "always",
                r.description,
            )
        )
    console.print(result)
    if next_cursor:
        console.print(
            f"Next cursor: {next_cursor}  (kassa tariffs show {tariff_id} --cursor {next_cursor})"
        )


def _read(file: str) -> bytes:
    if file == "-":
        return sys.stdin.buffer.read()
    path = Path(file)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliProblem(f"cannot read {file}: {exc.strerror or exc}") from exc


@app.command("import", help=IMPORT_HELP)
def import_rates(
    ctx: typer.Context,
    file: str = typer.Argument(..., metavar="FILE", help="The CSV file, or - for standard input."),
    tariff_id: int = typer.Option(
        ..., "--tariff", min=1, max=MAX_ID, help="The id of the tariff the rates belong to."
    ),
) -> None:
    data = _read(file)
    db = state(ctx).database()
    try:
        with db.transaction() as session:
            count = rate_import.import_rates(session, CLI_ACTOR, tariff_id, data)
    except ValidationFailed as exc:
        if not any(e.line for e in exc.errors):
            raise
        console = err()
        console.print(f"[bold red]{escape(file)}: nothing was imported.[/]")
        for item in exc.errors:
            console.print(f"[red]  {escape(item.message)}[/]")
        if len(exc.errors) >= rate_import.MAX_ERRORS:
            console.print(f"  (the first {rate_import.MAX_ERRORS} errors; there may be more)")
        raise typer.Exit(1) from None
    out().print(f"Imported {count:,} rate{'' if count == 1 else 's'} into tariff {tariff_id}.")
