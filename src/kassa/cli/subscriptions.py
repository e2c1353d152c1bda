"""``kassa subscriptions``: a customer's subscriptions to plans. List, show, subscribe, cancel,
and the fees a subscription posted."""

from __future__ import annotations

import typer

from kassa.cli.context import CLI_ACTOR, out, state
from kassa.cli.tables import fields, row, table, when
from kassa.core.clock import utcnow
from kassa.core.ids import MAX_ID
from kassa.customers.queries import get_customer
from kassa.subscriptions import queries, service
from kassa.subscriptions.schemas import CancelIn, SubscriptionIn, SubscriptionOut

app = typer.Typer(
    help="Subscriptions: a customer's (or one of its accounts') subscriptions to plans, whose "
    "fees are posted every billing period. List, show, subscribe, cancel, and list fees.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

SUBSCRIPTION_ID = typer.Argument(
    ..., metavar="ID", min=1, max=MAX_ID, help="The subscription's id."
)
TIME_EXAMPLE = "2027-01-01T00:00:00Z"


def _print(subscription: SubscriptionOut) -> None:
    out().print(
        fields(
            [
                ("ID", subscription.id),
                ("Customer", subscription.customer_id),
                ("Account", subscription.account_id or "whole customer"),
                ("Plan", f"{subscription.plan_name} ({subscription.plan_id})"),
                ("Periodic fee", f"{subscription.periodic_fee} {subscription.currency}"),
                ("Status", subscription.status.value),
                ("Starts", when(subscription.starts_at)),
                ("Ends", when(subscription.ends_at) or "until cancelled"),
                ("Charged through", when(subscription.charged_through)),
                ("Next fee due", when(subscription.next_charge_at) or "none"),
                ("Commitment ends", when(subscription.commitment_ends_at)),
                ("Cancelled", when(subscription.cancelled_at)),
            ]
        )
    )


@app.command("list")
def list_subscriptions(
    ctx: typer.Context,
    customer: int = typer.Option(..., "--customer", min=1, max=MAX_ID, help="The customer's id."),
    limit: int = typer.Option(50, "--limit", help="Subscriptions per page, 1 to 500."),
    cursor: str | None = typer.Option(
        None, "--cursor", help="Continue after the previous page (printed below it)."
    ),
) -> None:
    """List a customer's subscriptions, oldest first."""
    db = state(ctx).database()
    with db.reading() as session:
        get_customer(session, customer)
        rows, next_cursor = queries.page_subscriptions(
            session, customer, limit=limit, cursor=cursor
        )
        shown = queries.subscriptions_out(session, rows, utcnow())
    console = out()
    if not shown:
        console.print("No subscriptions match.")
    else:
        result = table(
            "ID", "Plan", "Account", "Status", "Starts", "Ends", "Charged through", right=("ID",)
        )
        for s in shown:
            result.add_row(
                *row(
                    s.id,
                    s.plan_name,
                    s.account_id or "",
                    s.status.value,
                    when(s.starts_at),
                    when(s.ends_at),
                    when(s.charged_through),
                )
            )
        console.print(result)
    if next_cursor:
        console.print(
            f"Next cursor: {next_cursor}  "
            f"(kassa subscriptions list --customer {customer} --cursor {next_cursor})"
        )


@app.command()
def show(ctx: typer.Context, subscription_id: int = SUBSCRIPTION_ID) -> None:
    """Show a subscription: its plan, dates and how far its fees are posted."""
    db = state(ctx).database()
    with db.reading() as session:
        shown = queries.subscription_out(
            session, service.get_subscription(session, subscription_id), utcnow()
        )
    _print(shown)


@app.command()
def subscribe(
    ctx: typer.Context,
    customer: int = typer.Option(..., "--customer", min=1, max=MAX_ID, help="The customer's id."),
    plan: int = typer.Option(
        ..., "--plan", min=1, max=MAX_ID, help="The plan's id; a plan in the customer's currency."
    ),
    account: int | None = typer.Option(
        None, "--account", min=1, max=MAX_ID, help="One of the customer's accounts, if for one."
    ),
    starts_at: str | None = typer.Option(
        None,
        "--starts-at",
        help=f"When it starts, ISO 8601 with a zone (e.g. {TIME_EXAMPLE}); now when left out. "
        "Not before the customer's open billing period.",
    ),
    ends_at: str | None = typer.Option(
        None, "--ends-at", help="When it ends, ISO 8601 with a zone; until cancelled when left out."
    ),
) -> None:
    """Subscribe a customer to a plan and show the subscription. Fees due already (the
    activation fee, a first period charged in advance) are posted at once."""
    body = {"plan_id": plan, "account_id": account, "starts_at": starts_at, "ends_at": ends_at}
    db = state(ctx).database()
    with db.transaction() as session:
        subscription = service.subscribe(
            session, CLI_ACTOR, customer, SubscriptionIn.model_validate(body)
        )
        shown = queries.subscription_out(session, subscription, utcnow())
    out().print(f"Created subscription {shown.id}.", markup=False)
    _print(shown)


@app.command()
def cancel(
    ctx: typer.Context,
    subscription_id: int = SUBSCRIPTION_ID,
    at: str | None = typer.Option(
        None,
        "--at",
        help=f"When it ends, ISO 8601 with a zone (e.g. {TIME_EXAMPLE}); now when left out.",
    ),
) -> None:
    """End a subscription now or at a time. Ending before the plan's minimum periods posts its
    cancellation fee; the unused part of a prorated period charged in advance is credited."""
    db = state(ctx).database()
    with db.transaction() as session:
        subscription = service.cancel_subscription(
            session, CLI_ACTOR, subscription_id, CancelIn.model_validate({"at": at})
        )
        shown = queries.subscription_out(session, subscription, utcnow())
    out().print(f"Cancelled subscription {shown.id}: it ends {when(shown.ends_at)}.", markup=False)
    _print(shown)


@app.command()
def fees(
    ctx: typer.Context,
    subscription_id: int = SUBSCRIPTION_ID,
    limit: int = typer.Option(50, "--limit", help="Fees per page, 1 to 500."),
    cursor: str | None = typer.Option(
        None, "--cursor", help="Continue after the previous page (printed below it)."
    ),
) -> None:
    """List the fees a subscription posted, oldest first: what each covers and its amount."""
    db = state(ctx).database()
    with db.reading() as session:
        subscription = service.get_subscription(session, subscription_id)
        rows, next_cursor = queries.page_fees(session, subscription_id, limit=limit, cursor=cursor)
        shown = queries.fees_out(session, subscription, rows)
    console = out()
    if not shown:
        console.print("No fees posted yet.")
    else:
        result = table(
            "ID",
            "Kind",
            "From",
            "To",
            "Amount",
            "Whole period",
            "Transaction",
            right=("ID", "Amount", "Whole period", "Transaction"),
        )
        for f in shown:
            amount = f"-{f.amount}" if f.kind == "unused" else f.amount
            result.add_row(
                *row(
                    f.id,
                    f.kind.value,
                    when(f.period_start),
                    when(f.period_end),
                    f"{amount} {f.currency}",
                    f.full_fee if f.kind == "periodic" else "",
                    f.transaction_id or "",
                )
            )
        console.print(result)
    if next_cursor:
        console.print(
            f"Next cursor: {next_cursor}  "
            f"(kassa subscriptions fees {subscription_id} --cursor {next_cursor})"
        )
