"""``kassa customers``: add, list and show customers, with the rules of the customer page."""

from __future__ import annotations

from typing import Any

import typer

from kassa.business_models.service import list_business_models
from kassa.cli.context import CLI_ACTOR, out, state
from kassa.cli.tables import fields, row, table, when
from kassa.core.errors import ValidationFailed
from kassa.core.ids import MAX_ID
from kassa.core.periods import BillingPeriod
from kassa.core.vocabulary import BalanceControl, CustomerStatus
from kassa.customer_classes.service import list_customer_classes
from kassa.customers import queries, service
from kassa.customers.schemas import CustomerIn, CustomerOut
from kassa.customers.views import customer_view, customer_views
from kassa.db.engine import DbSession
from kassa.db.models import BusinessModel, CustomerClass

app = typer.Typer(
    help="Customers: add, list, show.", no_args_is_help=True, rich_markup_mode="markdown"
)


def _by_id_or_name(
    value: str, items: list[BusinessModel] | list[CustomerClass], what: str, field: str
) -> int:
    text = value.strip()
    if text.isdigit():
        # Whether the id exists is the service's check, reported like any other field.
        return int(text)
    for item in items:
        if item.name.casefold() == text.casefold():
            return item.id
    known = ", ".join(f"'{item.name}'" for item in items)
    raise ValidationFailed.field(field, f"no {what} is named '{text}' (there are: {known})")


def _custom_data(pairs: list[str]) -> dict[str, str]:
    data: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"'{pair}' is not key=value", param_hint="--custom")
        if key.strip() in data:
            raise typer.BadParameter(f"'{key.strip()}' is given twice", param_hint="--custom")
        data[key.strip()] = value
    return data


def _money(value: str | None, currency: str, empty: str) -> str:
    return empty if value is None else f"{value} {currency}"


def _names(session: DbSession) -> tuple[dict[int, str], dict[int, str]]:
    models = {m.id: m.name for m in list_business_models(session)}
    classes = {c.id: c.name for c in list_customer_classes(session)}
    return models, classes


def _print_customer(customer: CustomerOut, model: str, cls: str) -> None:
    cur = customer.currency
    custom = ", ".join(f"{k}={v}" for k, v in sorted(customer.custom_data.items()))
    out().print(
        fields(
            [
                ("ID", customer.id),
                ("Customer name", customer.name),
                ("Status", customer.status),
                ("Balance control", customer.balance_control),
                ("Currency", cur),
                ("Balance (owed)", _money(customer.balance, cur, "")),
                ("Reserved", _money(customer.reserved, cur, "")),
                ("Available funds", _money(customer.available_funds, cur, "unlimited")),
                ("Credit limit", _money(customer.credit_limit, cur, "none")),
                ("Business model", f"{model} (id {customer.business_model_id})"),
                ("Customer class", f"{cls} (id {customer.customer_class_id})"),
                ("Billing period", customer.billing_period),
                ("Billing time zone", customer.billing_timezone),
                ("Next billing date", customer.next_billing_date.isoformat()),
                ("Email", customer.email or ""),
                ("Custom data", custom),
                ("Created", when(customer.created_at)),
                ("Updated", when(customer.updated_at)),
            ]
        )
    )


@app.command()
def add(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help="Customer name, unique."),
    balance_control: BalanceControl = typer.Option(
        ...,
        "--balance-control",
        help="prepaid: pays in advance; postpaid: pays invoices, up to a credit limit.",
    ),
    currency: str = typer.Option(..., "--currency", help="ISO 4217 code of an enabled currency."),
    business_model: str = typer.Option(
        ..., "--business-model", help="Business model, by id or name (e.g. 'SIP trunking')."
    ),
    credit_limit: str | None = typer.Option(
        None, "--credit-limit", help="Postpaid only; leave out for no limit. E.g. 500.00"
    ),
    available_funds: str | None = typer.Option(
        None, "--available-funds", help="Prepaid only: the initial payment. E.g. 20.00"
    ),
    customer_class: str | None = typer.Option(
        None, "--class", help="Customer class, by id or name. Default: the Default class."
    ),
    billing_period: BillingPeriod = typer.Option(
        BillingPeriod.MONTHLY, "--billing-period", help="How often the customer is invoiced."
    ),
    timezone: str = typer.Option(
        "UTC", "--timezone", help="Billing time zone, an IANA name such as Europe/Prague."
    ),
    email: str | None = typer.Option(None, "--email", help="Contact for notifications."),
    custom: list[str] = typer.Option(
        [], "--custom", help="Custom data as key=value; repeat for more fields."
    ),
) -> None:
    """Add a customer and show it."""
    data = _custom_data(custom)
    db = state(ctx).database()
    with db.transaction() as session:
        model_id = _by_id_or_name(
            business_model, list_business_models(session), "business model", "business_model_id"
        )
        class_id = None
        if customer_class is not None:
            class_id = _by_id_or_name(
                customer_class, list_customer_classes(session), "class", "customer_class_id"
            )
        body: dict[str, Any] = {
            "name": name,
            "balance_control": balance_control.value,
            "currency": currency,
            "credit_limit": credit_limit,
            "available_funds": available_funds,
            "business_model_id": model_id,
            "customer_class_id": class_id,
            "billing_period": billing_period.value,
            "billing_timezone": timezone,
            "email": email,
            "custom_data": data,
        }
        customer = service.create_customer(session, CLI_ACTOR, CustomerIn.model_validate(body))
        shown = customer_view(session, customer)
        models, classes = _names(session)
    out().print(f"Created customer {shown.id}.", markup=False)
    _print_customer(
        shown, models.get(shown.business_model_id, "?"), classes.get(shown.customer_class_id, "?")
    )


@app.command("list")
def list_customers(
    ctx: typer.Context,
    q: str | None = typer.Option(None, "--q", "--search", "-q", help="Name, part of it, or id."),
    status: CustomerStatus | None = typer.Option(None, "--status", help="Status as shown."),
    customer_class: str | None = typer.Option(
        None, "--class", help="Only customers of this class (id or name)."
    ),
    limit: int = typer.Option(50, "--limit", help="Customers per page, 1 to 500."),
    cursor: str | None = typer.Option(
        None, "--cursor", help="Continue after the previous page (printed below it)."
    ),
) -> None:
    """List customers, oldest first, a page at a time."""
    db = state(ctx).database()
    with db.reading() as session:
        class_id = None
        if customer_class is not None:
            class_id = _by_id_or_name(
                customer_class, list_customer_classes(session), "class", "customer_class_id"
            )
        rows, next_cursor = queries.list_customers(
            session,
            q=q,
            status=status.value if status else None,
            customer_class_id=class_id,
            limit=limit,
            cursor=cursor,
        )
        shown = customer_views(session, rows)
        _, classes = _names(session)
    console = out()
    if not shown:
        console.print("No customers match.")
    else:
        result = table(
            "ID",
            "Name",
            "Status",
            "Control",
            "Balance",
            "Available funds",
            "Credit limit",
            "Class",
            right=("ID", "Balance", "Available funds", "Credit limit"),
        )
        for c in shown:
            result.add_row(
                *row(
                    c.id,
                    c.name,
                    c.status,
                    c.balance_control,
                    _money(c.balance, c.currency, ""),
                    _money(c.available_funds, c.currency, "unlimited"),
                    _money(c.credit_limit, c.currency, "none"),
                    classes.get(c.customer_class_id, c.customer_class_id),
                )
            )
        console.print(result)
    if next_cursor:
        console.print(f"Next cursor: {next_cursor}  (kassa customers list --cursor {next_cursor})")


@app.command()
def show(
    ctx: typer.Context,
    customer_id: int = typer.Argument(
        ..., metavar="ID", min=1, max=MAX_ID, help="The customer's id."
    ),
) -> None:
    """Show every field of one customer."""
    db = state(ctx).database()
    with db.reading() as session:
        customer = queries.get_customer(session, customer_id)
        shown = customer_view(session, customer)
        models, classes = _names(session)
    _print_customer(
        shown, models.get(shown.business_model_id, "?"), classes.get(shown.customer_class_id, "?")
    )
