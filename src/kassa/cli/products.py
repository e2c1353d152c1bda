"""``kassa products``: list and create products, the tariff of each service an account uses."""

from __future__ import annotations

import typer

from kassa.cli.context import CLI_ACTOR, out, state
from kassa.cli.tables import row, table
from kassa.rating import products
from kassa.rating.schemas import ProductIn, ProductOut

app = typer.Typer(
    help="Products: what an account is sold, a tariff for each service. List, create.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


def _rating(pairs: list[str]) -> list[dict[str, str]]:
    rating = []
    for pair in pairs:
        service, sep, tariff = pair.partition("=")
        if not sep or not service.strip() or not tariff.strip():
            raise typer.BadParameter(
                f"'{pair}' is not service=tariff_id (e.g. voice=3)", param_hint="--rate"
            )
        rating.append({"service": service.strip(), "tariff_id": tariff.strip()})
    return rating


def _services(product: ProductOut) -> str:
    return ", ".join(f"{r.service}: {r.tariff_name} ({r.tariff_id})" for r in product.rating)


@app.command("list")
def list_products(
    ctx: typer.Context,
    currency: str | None = typer.Option(None, "--currency", help="Only products in this currency."),
    limit: int = typer.Option(50, "--limit", help="Products per page, 1 to 500."),
    cursor: str | None = typer.Option(
        None, "--cursor", help="Continue after the previous page (printed below it)."
    ),
) -> None:
    """List products, oldest first, with the tariff of each service."""
    db = state(ctx).database()
    with db.reading() as session:
        rows, next_cursor = products.page_products(
            session, limit=limit, cursor=cursor, currency=currency
        )
        shown = products.products_out(session, rows)
    console = out()
    if not shown:
        console.print("No products match.")
    else:
        result = table("ID", "Name", "Currency", "Services", right=("ID",))
        for product in shown:
            result.add_row(*row(product.id, product.name, product.currency, _services(product)))
        console.print(result)
    if next_cursor:
        console.print(f"Next cursor: {next_cursor}  (kassa products list --cursor {next_cursor})")


@app.command()
def create(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help="Product name, unique."),
    currency: str = typer.Option(..., "--currency", help="ISO 4217 code of an enabled currency."),
    rate: list[str] = typer.Option(
        [],
        "--rate",
        help="A service and the id of the tariff that rates it, as service=tariff_id "
        "(e.g. voice=3); repeat for more services. The tariff must be in the product's currency.",
    ),
    description: str = typer.Option("", "--description", help="What the product is, for staff."),
) -> None:
    """Create a product and show it."""
    body = {
        "name": name,
        "currency": currency,
        "description": description,
        "rating": _rating(rate),
    }
    db = state(ctx).database()
    with db.transaction() as session:
        product = products.create_product(session, CLI_ACTOR, ProductIn.model_validate(body))
        shown = products.product_out(session, product)
    console = out()
    console.print(f"Created product {shown.id}.", markup=False)
    result = table("ID", "Name", "Currency", "Services", right=("ID",))
    result.add_row(*row(shown.id, shown.name, shown.currency, _services(shown)))
    console.print(result)
