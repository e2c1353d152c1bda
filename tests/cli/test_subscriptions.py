"""``kassa subscriptions``: subscribe a customer, list and show its subscriptions, the fees
they posted, and cancel at a time or now; refused input names the field and its option."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kassa.db.engine import Database
from kassa.db.models import Subscription
from tests.cli.conftest import Kassa
from tests.cli.test_accounts import add_customer
from tests.when import iso, period_end

# Subscriptions follow the customer's billing calendar from the moment it was created.
pytestmark = pytest.mark.calendar


def _plan(kassa: Kassa, name: str = "Fibre 300", currency: str = "USD") -> str:
    result = kassa.ok(
        "plans",
        "create",
        "--name",
        name,
        "--currency",
        currency,
        "--periodic-fee",
        "29.99",
        "--activation-fee",
        "49",
    )
    return result.output.split("Created plan ")[1].split(".")[0]


def _subscribe(kassa: Kassa, customer: int, plan: str, *more: str) -> str:
    result = kassa.ok(
        "subscriptions", "subscribe", "--customer", str(customer), "--plan", plan, *more
    )
    assert "Created subscription" in result.output
    return result.output.split("Created subscription ")[1].split(".")[0]


def test_subscribe_list_fees_and_cancel(kassa: Kassa) -> None:
    db = Database(kassa.url)
    try:
        customer = add_customer(db)
        end = period_end(db, customer)
    finally:
        db.dispose()
    plan = _plan(kassa)
    sub = _subscribe(kassa, customer, plan)
    listing = kassa.ok("subscriptions", "list", "--customer", str(customer)).output
    assert "Fibre 300" in listing and "active" in listing
    fees = kassa.ok("subscriptions", "fees", sub).output
    assert "activation" in fees and "49.00 USD" in fees and "periodic" in fees
    later = iso(end + timedelta(days=3))
    cancelled = kassa.ok("subscriptions", "cancel", sub, "--at", later).output
    assert f"Cancelled subscription {sub}" in cancelled
    assert (end + timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S UTC") in cancelled
    now = kassa.ok("subscriptions", "cancel", sub).output
    assert "ended" in now
    shown = kassa.ok("subscriptions", "show", sub).output
    assert "ended" in shown and "Fibre 300" in shown
    again = kassa("subscriptions", "cancel", sub)
    assert again.exit_code == 1 and "subscription_ended" in again.output
    refused = kassa("plans", "delete", plan)
    assert refused.exit_code == 1 and "plan_in_use" in refused.output


def test_refused_input_names_the_field_and_its_option(kassa: Kassa) -> None:
    db = Database(kassa.url)
    try:
        customer = add_customer(db)
    finally:
        db.dispose()
    euro = _plan(kassa, "Euro fibre", "EUR")
    wrong = kassa("subscriptions", "subscribe", "--customer", str(customer), "--plan", euro)
    assert wrong.exit_code == 1 and "plan_id (--plan)" in wrong.output
    plan = _plan(kassa)
    naive = kassa(
        "subscriptions",
        "subscribe",
        "--customer",
        str(customer),
        "--plan",
        plan,
        "--starts-at",
        "2027-01-01T00:00:00",
    )
    assert naive.exit_code == 1 and "starts_at (--starts-at)" in naive.output
    bad = kassa(
        "subscriptions", "subscribe", "--customer", str(customer), "--plan", plan, "--account", "99"
    )
    assert bad.exit_code == 1 and "account_id (--account)" in bad.output
    junk = kassa(
        "subscriptions",
        "subscribe",
        "--customer",
        str(customer),
        "--plan",
        plan,
        "--ends-at",
        "soon",
    )
    assert junk.exit_code == 1 and "ends_at (--ends-at)" in junk.output
    assert kassa.count(Subscription) == 0
    sub = _subscribe(kassa, customer, plan)
    early = kassa("subscriptions", "cancel", sub, "--at", "2000-01-01T00:00:00Z")
    assert early.exit_code == 1 and "at (--at)" in early.output
    missing = kassa("subscriptions", "list", "--customer", "999999")
    assert missing.exit_code == 1 and "customer_not_found" in missing.output
    assert (
        "No subscriptions match."
        in kassa.ok("subscriptions", "list", "--customer", str(add_customer_in(kassa))).output
    )


def add_customer_in(kassa: Kassa) -> int:
    db = Database(kassa.url)
    try:
        return add_customer(db, "Other")
    finally:
        db.dispose()


def test_help_says_what_each_command_does(kassa: Kassa) -> None:
    usage = kassa.ok("subscriptions", "--help").output
    for command in ("list", "show", "subscribe", "cancel", "fees"):
        assert command in usage
    assert "--starts-at" in kassa.ok("subscriptions", "subscribe", "--help").output
