"""``kassa plans``: create, list, show, update and delete subscription plans; refused input
names the field and its option."""

from __future__ import annotations

from kassa.db.models import SubscriptionPlan
from tests.cli.conftest import Kassa


def _create(kassa: Kassa, name: str = "Fibre 300", *more: str) -> str:
    result = kassa.ok(
        "plans", "create", "--name", name, "--currency", "USD", "--periodic-fee", "29.99", *more
    )
    assert "Created plan" in result.output
    return result.output.split("Created plan ")[1].split(".")[0]


def test_create_list_show_update_and_delete(kassa: Kassa) -> None:
    plan = _create(
        kassa,
        "Fibre 300",
        "--activation-fee",
        "49",
        "--charged",
        "in_arrears",
        "--no-prorate",
        "--minimum-periods",
        "12",
        "--cancellation-fee",
        "100",
        "--description",
        "300 Mbit/s [fast]",
    )
    shown = kassa.ok("plans", "show", plan).output
    for text in ("29.99", "49.00", "in_arrears", "Prorate           no", "100.00", "[fast]"):
        assert text in shown, text
    listing = kassa.ok("plans", "list").output
    assert "Fibre 300" in listing and "in_arrears" in listing
    assert "No plans match." in kassa.ok("plans", "list", "--currency", "EUR").output
    updated = kassa.ok("plans", "update", plan, "--periodic-fee", "31.5", "--prorate").output
    assert "Updated plan" in updated and "Prorate           yes" in updated
    # The fee history, newest first; the rest of the plan is as it was.
    assert updated.index("31.50") < updated.rindex("29.99")
    assert "in_arrears" in updated and "49.00" in updated
    assert kassa.ok("plans", "delete", plan).output.startswith(f"Deleted plan {plan} (Fibre 300)")
    assert kassa.count(SubscriptionPlan) == 0


def test_pages_of_plans(kassa: Kassa) -> None:
    for name in ("A", "B", "C"):
        _create(kassa, name)
    first = kassa.ok("plans", "list", "--limit", "2").output
    assert "Next cursor:" in first
    cursor = first.split("--cursor ")[1].split(")")[0]
    rest = kassa.ok("plans", "list", "--limit", "2", "--cursor", cursor).output
    assert " C " in rest and "Next cursor" not in rest


def test_refused_input_names_the_field_and_its_option(kassa: Kassa) -> None:
    plan = _create(kassa)
    taken = kassa(
        "plans", "create", "--name", "FIBRE 300", "--currency", "USD", "--periodic-fee", "1"
    )
    assert taken.exit_code == 1 and "plan_name_taken" in taken.output
    bad = kassa(
        "plans",
        "create",
        "--name",
        "Other",
        "--currency",
        "XYZ",
        "--periodic-fee",
        "1.001",
        "--cancellation-fee",
        "-1",
    )
    assert bad.exit_code == 1
    assert "cancellation_fee (--cancellation-fee)" in bad.output
    bad = kassa("plans", "create", "--name", "Other", "--currency", "XYZ", "--periodic-fee", "1")
    assert bad.exit_code == 1 and "currency (--currency)" in bad.output
    # Cents: a USD fee has at most 2 decimals.
    bad = kassa(
        "plans", "create", "--name", "Other", "--currency", "USD", "--periodic-fee", "1.001"
    )
    assert bad.exit_code == 1 and "periodic_fee (--periodic-fee)" in bad.output
    refused = kassa("plans", "update", plan, "--minimum-periods", "-1")
    assert refused.exit_code == 1 and "minimum_periods (--minimum-periods)" in refused.output
    refused = kassa("plans", "update", plan, "--activation-fee", "ten")
    assert refused.exit_code == 1 and "activation_fee (--activation-fee)" in refused.output
    missing = kassa("plans", "show", "999999")
    assert missing.exit_code == 1 and "plan_not_found" in missing.output
    assert kassa("plans", "create", "--name", "x", "--currency", "USD").exit_code == 2
    assert kassa("plans", "update", plan, "--charged", "weekly").exit_code == 2
    assert kassa.count(SubscriptionPlan) == 1


def test_help_says_what_each_command_does(kassa: Kassa) -> None:
    assert "plans" in kassa.ok("--help").output
    usage = kassa.ok("plans", "--help").output
    for command in ("list", "show", "create", "update", "delete"):
        assert command in usage
    create = kassa.ok("plans", "create", "--help").output
    assert "--periodic-fee" in create and "in_arrears" in create and "--no-prorate" in create
