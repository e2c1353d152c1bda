"""``kassa plans``: subscription plans, the recurring fee customers subscribe to. List, show,
create, update, delete."""

from __future__ import annotations

from typing import Any

import typer

from kassa.cli.context import CLI_ACTOR, out, state
from kassa.cli.tables import fields, row, table, when
from kassa.core.ids import MAX_ID
from kassa.core.money import format_micros
from kassa.core.vocabulary import FeeCharging
from kassa.currencies.service import currency_exponent
from kassa.subscriptions import plans
from kassa.subscriptions.schemas import PlanIn, PlanOut, PlanPatch

app = typer.Typer(
    help="Subscription plans: a fee every billing period, in one currency, with optional "
    "activation and cancellation fees and a minimum number of periods. "
    "List, show, create, update, delete.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

PLAN_ID = typer.Argument(..., metavar="ID", min=1, max=MAX_ID, help="The plan's id.")
CHARGED_HELP = (
    "When each period's fee is posted: in_advance (as the period starts) or in_arrears "
    "(as it closes)."
)
PRORATE_HELP = (
    "--prorate: a partial period (the first, the last) pays its share of the fee; "
    "--no-prorate: it pays the whole fee."
)


def _print_plan(plan: PlanOut, history: list[tuple[str, str]]) -> None:
    console = out()
    console.print(
        fields(
            [
                ("ID", plan.id),
                ("Name", plan.name),
                ("Currency", plan.currency),
                ("Periodic fee", plan.periodic_fee),
                ("Charged", plan.charged.value),
                ("Prorate", "yes" if plan.prorate else "no"),
                ("Activation fee", plan.activation_fee),
                ("Minimum periods", plan.minimum_periods),
                ("Cancellation fee", plan.cancellation_fee),
                ("Description", plan.description),
                ("Subscriptions", plan.subscriptions),
                ("Created", when(plan.created_at)),
                ("Updated", when(plan.updated_at)),
            ]
        )
    )
    if history:
        result = table("Periodic fee from", "Fee", right=("Fee",))
        for at, fee in history:
            result.add_row(*row(at, fee))
        console.print(result)


def _history(session: Any, plan: Any) -> list[tuple[str, str]]:
    exponent = currency_exponent(session, plan.currency)
    return [
        (when(at), format_micros(fee, exponent))
        for at, fee in reversed(plans.fee_history(session, [plan.id])[plan.id])
    ]


@app.command("list")
def list_plans(
    ctx: typer.Context,
    currency: str | None = typer.Option(None, "--currency", help="Only plans in this currency."),
    limit: int = typer.Option(50, "--limit", help="Plans per page, 1 to 500."),
    cursor: str | None = typer.Option(
        None, "--cursor", help="Continue after the previous page (printed below it)."
    ),
) -> None:
    """List plans, oldest first, with their fees and how many subscriptions use each."""
    db = state(ctx).database()
    with db.reading() as session:
        rows, next_cursor = plans.page_plans(session, limit=limit, cursor=cursor, currency=currency)
        shown = plans.plans_out(session, rows)
    console = out()
    if not shown:
        console.print("No plans match.")
    else:
        result = table(
            "ID",
            "Name",
            "Currency",
            "Periodic fee",
            "Charged",
            "Activation fee",
            "Min. periods",
            "Cancellation fee",
            "Subscriptions",
            right=(
                "ID",
                "Periodic fee",
                "Activation fee",
                "Min. periods",
                "Cancellation fee",
                "Subscriptions",
            ),
        )
        for p in shown:
            result.add_row(
                *row(
                    p.id,
                    p.name,
                    p.currency,
                    p.periodic_fee,
                    p.charged.value,
                    p.activation_fee,
                    p.minimum_periods,
                    p.cancellation_fee,
                    p.subscriptions,
                )
            )
        console.print(result)
    if next_cursor:
        console.print(f"Next cursor: {next_cursor}  (kassa plans list --cursor {next_cursor})")


@app.command()
def show(ctx: typer.Context, plan_id: int = PLAN_ID) -> None:
    """Show a plan and the history of its periodic fee, newest first."""
    db = state(ctx).database()
    with db.reading() as session:
        plan = plans.get_plan(session, plan_id)
        shown, history = plans.plan_out(session, plan), _history(session, plan)
    _print_plan(shown, history)


@app.command()
def create(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help="Plan name, unique (e.g. 'Fibre 300')."),
    currency: str = typer.Option(..., "--currency", help="ISO 4217 code of an enabled currency."),
    periodic_fee: str = typer.Option(
        ..., "--periodic-fee", help="The fee of one whole billing period (e.g. 29.99)."
    ),
    activation_fee: str = typer.Option(
        "0", "--activation-fee", help="Posted once, when a subscription starts."
    ),
    charged: FeeCharging = typer.Option(FeeCharging.IN_ADVANCE, "--charged", help=CHARGED_HELP),
    prorate: bool = typer.Option(True, "--prorate/--no-prorate", help=PRORATE_HELP),
    minimum_periods: int = typer.Option(
        0, "--minimum-periods", help="Periods a subscriber commits to; 0 for none."
    ),
    cancellation_fee: str = typer.Option(
        "0",
        "--cancellation-fee",
        help="Posted once when a subscription ends before its minimum periods.",
    ),
    description: str = typer.Option("", "--description", help="What the plan is, for staff."),
) -> None:
    """Create a plan and show it; customers in its currency may then subscribe to it."""
    body = {
        "name": name,
        "currency": currency,
        "periodic_fee": periodic_fee,
        "activation_fee": activation_fee,
        "charged": charged.value,
        "prorate": prorate,
        "minimum_periods": minimum_periods,
        "cancellation_fee": cancellation_fee,
        "description": description,
    }
    db = state(ctx).database()
    with db.transaction() as session:
        plan = plans.create_plan(session, CLI_ACTOR, PlanIn.model_validate(body))
        shown, history = plans.plan_out(session, plan), _history(session, plan)
    out().print(f"Created plan {shown.id}.", markup=False)
    _print_plan(shown, history)


@app.command()
def update(
    ctx: typer.Context,
    plan_id: int = PLAN_ID,
    name: str | None = typer.Option(None, "--name", help="A new name, unique."),
    currency: str | None = typer.Option(
        None, "--currency", help="A new currency; refused once the plan has subscriptions."
    ),
    periodic_fee: str | None = typer.Option(
        None,
        "--periodic-fee",
        help="A new periodic fee: it applies from each subscription's next period.",
    ),
    activation_fee: str | None = typer.Option(None, "--activation-fee", help="A new fee."),
    charged: FeeCharging | None = typer.Option(None, "--charged", help=CHARGED_HELP),
    prorate: bool | None = typer.Option(None, "--prorate/--no-prorate", help=PRORATE_HELP),
    minimum_periods: int | None = typer.Option(
        None, "--minimum-periods", help="Periods a new subscriber commits to."
    ),
    cancellation_fee: str | None = typer.Option(None, "--cancellation-fee", help="A new fee."),
    description: str | None = typer.Option(None, "--description", help="A new description."),
) -> None:
    """Change what is given of a plan, leave the rest, and show it."""
    given = {
        "name": name,
        "currency": currency,
        "periodic_fee": periodic_fee,
        "activation_fee": activation_fee,
        "charged": charged.value if charged is not None else None,
        "prorate": prorate,
        "minimum_periods": minimum_periods,
        "cancellation_fee": cancellation_fee,
        "description": description,
    }
    body = {key: value for key, value in given.items() if value is not None}
    db = state(ctx).database()
    with db.transaction() as session:
        plan = plans.update_plan(session, CLI_ACTOR, plan_id, PlanPatch.model_validate(body))
        shown, history = plans.plan_out(session, plan), _history(session, plan)
    out().print(f"Updated plan {shown.id}.", markup=False)
    _print_plan(shown, history)


@app.command()
def delete(ctx: typer.Context, plan_id: int = PLAN_ID) -> None:
    """Delete a plan. Refused while any subscription, ended ones included, uses it."""
    db = state(ctx).database()
    with db.transaction() as session:
        name = plans.get_plan(session, plan_id).name
        plans.delete_plan(session, CLI_ACTOR, plan_id)
    out().print(f"Deleted plan {plan_id} ({name}).", markup=False)
