"""``kassa bill-run`` posts subscription fees: each catching-up period's on its own invoice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kassa.auth.actor import SYSTEM
from kassa.db.engine import Database
from kassa.db.models import Customer, LedgerEntry, SubscriptionFee
from kassa.subscriptions import service
from kassa.subscriptions.schemas import SubscriptionIn
from tests.cli.conftest import Kassa
from tests.subscriptions.support import fixed_clock, make_plan


def test_bill_run_posts_the_fees_of_every_period_it_closes(
    kassa: Kassa, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = fixed_clock(monkeypatch)
    at.set("2027-03-01T00:00:00+00:00")
    kassa.ok(
        "customers", "add", "--name", "Fibre home", "--balance-control", "postpaid",
        "--currency", "USD", "--business-model", "1",
    )  # fmt: skip
    db = Database(kassa.url)
    try:
        plan = make_plan(db)
        at.set("2027-03-15T00:00:00+00:00")
        with db.transaction() as session:
            customer = session.scalars(select(Customer.id)).one()
            service.subscribe(session, SYSTEM, customer, SubscriptionIn(plan_id=plan))
        assert kassa.count(SubscriptionFee) == 1
        at.set("2027-06-10T00:00:00+00:00")
        ran = kassa("bill-run")
        assert ran.exit_code == 0, ran.output
        with db.reading() as session:
            fees = session.execute(
                select(LedgerEntry.billing_period_id, LedgerEntry.amount_micros)
                .where(LedgerEntry.type == "subscription")
                .order_by(LedgerEntry.id)
            ).all()
        assert [amount for _, amount in fees] == [17_000_000, 31_000_000, 31_000_000, 31_000_000]
        # March, April and May on their own periods; June's in the open one.
        assert len({period for period, _ in fees[:3]}) == 3 and fees[3][0] is None
    finally:
        db.dispose()
