"""A run killed halfway, and runs overlapping, never charge a fee twice or miss one."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from sqlalchemy.orm import Session

from kassa.billing.runs import run_billing
from kassa.db.engine import Database
from kassa.subscriptions import suspension
from tests.conftest import Api
from tests.subscriptions.support import (
    Clock,
    balance,
    check_ledger,
    make_customer,
    make_plan,
    subscribe,
)

CUSTOMERS = 6
# Per customer, from 10 March to 10 June: in advance 22 + 31 + 31 + 31, in arrears 22 + 31 + 31.
OWED = "199.00"


def _customers(api: Api, db: Database, at: Clock) -> list[int]:
    advance = make_plan(db, "Fibre advance")
    arrears = make_plan(db, "Fibre arrears", charged="in_arrears")
    at.set("2027-03-01T00:00:00+00:00")
    customers = [make_customer(api) for _ in range(CUSTOMERS)]
    at.set("2027-03-10T00:00:00+00:00")
    for customer in customers:
        subscribe(api, customer, advance)
        subscribe(api, customer, arrears)
    at.set("2027-06-10T00:00:00+00:00")
    return customers


class Killed(Exception):
    pass


def test_a_run_killed_mid_batch_is_finished_by_the_next(
    api: Api, db: Database, at: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    customers = _customers(api, db, at)
    calls = []
    hook = suspension.suspend_unfunded

    def dying(session: Session, customer_ids: Sequence[int]) -> None:
        # The second batch's customers are suspended (or not) after the fees of each period
        # its close posts: the process dies at the second, inside that batch's transaction.
        if customers[2] in customer_ids:
            calls.append(customer_ids)
            if len(calls) == 2:
                raise Killed("the process died here")
        hook(session, customer_ids)

    monkeypatch.setattr(suspension, "suspend_unfunded", dying)
    with pytest.raises(Killed):
        run_billing(db, None, batch_size=2)
    check_ledger(db)
    # The first batch closed its periods and posted the fee of the period its last close
    # opened (June's); the rest is as the subscriptions left it.
    assert [balance(api, c) for c in customers] == [OWED] * 2 + ["22.00"] * 4
    monkeypatch.setattr(suspension, "suspend_unfunded", hook)
    run_billing(db, None, batch_size=2)
    run_billing(db, None, batch_size=2)
    assert {balance(api, c) for c in customers} == {OWED}
    check_ledger(db)


def test_overlapping_runs_charge_each_fee_once(api: Api, db: Database, at: Clock) -> None:
    customers = _customers(api, db, at)
    url = db.engine.url.render_as_string(hide_password=False)
    failures: list[BaseException] = []
    barrier = threading.Barrier(3)

    def runner() -> None:
        own = Database(url)
        try:
            barrier.wait()
            run_billing(own, None, batch_size=2)
        except BaseException as exc:
            failures.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=runner) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    assert {balance(api, c) for c in customers} == {OWED}
    check_ledger(db)
