"""Billing runs are bounded and observable: an ``as_of`` past the horizon is refused before
anything is written, every transaction closes a bounded number of periods, a run can go on in
the background (``"wait": false``) and be followed, and a run that stops without finishing
is shown ``interrupted``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from kassa.app import create_app
from kassa.billing.run_status import LAPSED, STOPPED_ON_SHUTDOWN
from kassa.billing.runs import PERIODS_PER_TRANSACTION, carry_out, run_billing, start_run
from kassa.core.clock import utcnow
from kassa.core.settings import Settings
from kassa.db.engine import Database
from kassa.db.models import BillingPeriod, BillingRun
from tests.api.support import assert_problem, unchanged
from tests.billing.test_runs_robust import _check_closed_once, _expected_periods, _populate
from tests.conftest import ADMIN_TOKEN, Api

pytestmark = pytest.mark.slow


def _ahead(days: int) -> datetime:
    return (utcnow() + timedelta(days=days)).replace(microsecond=0)


def _count(db: Database, model: type[Any]) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _follow(api: Api, run_id: int, seconds: float = 300) -> dict[str, Any]:
    """The run once it is no longer running (or as it is after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while True:
        answer = api.get(f"/billing-runs/{run_id}")
        assert answer.status_code == 200, answer.text
        run: dict[str, Any] = answer.json()
        if run["status"] != "running" or time.monotonic() > deadline:
            return run
        time.sleep(0.05)


@pytest.mark.parametrize(
    "as_of", ["9999-12-31T23:59:59Z", "9109-03-01T00:00:00+02:00", "horizon+1"]
)
def test_an_as_of_past_the_horizon_is_refused_and_changes_nothing(
    api: Api, db: Database, as_of: str
) -> None:
    _populate(db, 3, ("daily", "monthly"))
    if as_of == "horizon+1":
        as_of = _ahead(367).isoformat()
    operator = api.as_token(api.token_for("operator"))
    assert operator.get("/billing-runs").status_code == 200
    with unchanged(db):
        for wait in (True, False):
            refused = operator.post("/billing-runs", {"as_of": as_of, "wait": wait})
            body = assert_problem(refused, 422, "billing_horizon_exceeded", "as_of")
            assert "366 days ahead" in body["errors"][0]["message"], body
    assert _count(db, BillingRun) == _count(db, BillingPeriod) == 0


def test_an_as_of_within_the_horizon_runs(api: Api, db: Database) -> None:
    _populate(db, 1, ("monthly",))
    answer = api.post("/billing-runs", {"as_of": _ahead(360).isoformat()})
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "finished" and answer.json()["periods_closed"] >= 11


def test_the_horizon_is_a_setting(settings: Settings, db: Database) -> None:
    _populate(db, 1, ("daily",))
    with TestClient(create_app(replace(settings, billing_horizon_days=10), db)) as client:
        api = Api(client, ADMIN_TOKEN)
        refused = api.post("/billing-runs", {"as_of": _ahead(11).isoformat()})
        body = assert_problem(refused, 422, "billing_horizon_exceeded", "as_of")
        assert "at most 10 days ahead" in body["detail"]
        assert api.post("/billing-runs", {"as_of": _ahead(9).isoformat()}).status_code == 201


@pytest.mark.parametrize("raw", ["0", "-5", "a year"])
def test_a_bad_horizon_setting_is_refused_on_start(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("KASSA_BILLING_HORIZON_DAYS", raw)
    with pytest.raises(ValueError, match="KASSA_BILLING_HORIZON_DAYS"):
        Settings.from_env()


@pytest.fixture
def periods_per_commit(db: Database) -> Iterator[list[int]]:
    """The billing periods each committed write transaction added, in order."""
    added: list[int] = []
    seen = [0]

    def count(session: Session) -> None:
        now = int(session.scalar(select(func.count()).select_from(BillingPeriod)) or 0)
        added.append(now - seen[0])
        seen[0] = now

    event.listen(Session, "before_commit", count)
    try:
        yield added
    finally:
        event.remove(Session, "before_commit", count)


def test_each_transaction_closes_a_bounded_number_of_periods(
    db: Database, periods_per_commit: list[int]
) -> None:
    """Customers far behind (daily periods, a run most of a year ahead) get their periods over
    several transactions, never all in one."""
    _populate(db, 5, ("daily", "daily", "daily", "daily", "monthly"))
    as_of = _ahead(300)
    expected = _expected_periods(db, as_of)
    assert expected > 2 * PERIODS_PER_TRANSACTION
    summary = run_billing(db, None, as_of)
    assert summary.periods_closed == expected
    closing = [added for added in periods_per_commit if added]
    assert len(closing) >= 3 and max(closing) <= PERIODS_PER_TRANSACTION, closing
    assert sum(closing) == expected
    _check_closed_once(db, as_of, expected)


def test_wait_false_answers_202_at_once_and_the_run_can_be_followed(api: Api, db: Database) -> None:
    _populate(db, 12, ("daily", "weekly", "monthly"))
    as_of = _ahead(120)
    expected = _expected_periods(db, as_of)
    answer = api.post("/billing-runs", {"as_of": as_of.isoformat(), "wait": False})
    assert answer.status_code == 202, answer.text
    started = answer.json()
    assert answer.headers["location"] == f"/api/v1/billing-runs/{started['id']}"
    assert started["status"] == "running" and started["finished_at"] is None
    assert started["customers_total"] == 12 and started["customers_done"] == 0
    assert started["triggered_by"] == "api"
    run = _follow(api, started["id"])
    assert run["status"] == "finished", run
    assert run["periods_closed"] == run["invoices_issued"] == expected
    assert run["customers_done"] == run["customers_total"] == 12
    assert run["invoices_overdue"] is not None and run["customers_suspended"] is not None
    assert run["error"] is None
    assert run["started_at"] == started["started_at"]
    assert datetime.fromisoformat(run["finished_at"]) >= datetime.fromisoformat(run["started_at"])
    _check_closed_once(db, as_of, expected)
    # The list pages with a cursor, oldest first.
    again = api.post("/billing-runs", {"as_of": as_of.isoformat()})
    assert again.status_code == 201 and again.json()["periods_closed"] == 0
    first = api.get("/billing-runs", params={"limit": 1}).json()
    assert [r["id"] for r in first["items"]] == [started["id"]] and first["next_cursor"]
    second = api.get("/billing-runs", params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [r["id"] for r in second["items"]] == [again.json()["id"]]
    assert second["next_cursor"] is None


def test_a_background_run_stops_interrupted_when_the_server_stops(
    settings: Settings, db: Database
) -> None:
    _populate(db, 40, ("daily",))
    as_of = _ahead(300)
    expected = _expected_periods(db, as_of)
    with TestClient(create_app(settings, db)) as client:
        answer = Api(client).post("/billing-runs", {"as_of": as_of.isoformat(), "wait": False})
        assert answer.status_code == 202, answer.text
    # Leaving the block shut the app down; its run ended after its current transaction.
    with db.reading() as session:
        run = session.get_one(BillingRun, answer.json()["id"])
    assert run.status == "interrupted" and run.error == STOPPED_ON_SHUTDOWN
    assert run.finished_at is not None and run.lease_expires_at is None
    assert 0 <= run.periods_closed < expected
    assert _count(db, BillingPeriod) == run.periods_closed
    rest = run_billing(db, None, as_of)
    assert rest.periods_closed == expected - run.periods_closed
    _check_closed_once(db, as_of, expected)


def test_a_run_whose_lease_lapsed_is_interrupted_for_readers_and_then_for_good(
    api: Api, db: Database
) -> None:
    _populate(db, 5, ("daily",))
    as_of = _ahead(10)
    expected = _expected_periods(db, as_of)
    dead = start_run(db, None, as_of, lease_seconds=30)
    assert api.get(f"/billing-runs/{dead.id}").json()["status"] == "running"
    with db.transaction() as session:
        session.execute(
            update(BillingRun)
            .where(BillingRun.id == dead.id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    shown = api.get(f"/billing-runs/{dead.id}").json()
    assert shown["status"] == "interrupted", shown
    assert api.get("/billing-runs").json()["items"][0]["status"] == "interrupted"
    with db.reading() as session:
        assert session.get_one(BillingRun, dead.id).status == "running"  # readers write nothing
    finished = run_billing(db, None, as_of)
    assert finished.periods_closed == expected
    with db.reading() as session:
        recorded = session.get_one(BillingRun, dead.id)
    assert recorded.status == "interrupted" and recorded.error == LAPSED
    assert recorded.finished_at is not None
    assert api.get(f"/billing-runs/{dead.id}").json()["error"] == LAPSED
    _check_closed_once(db, as_of, expected)


def test_a_slow_run_taken_for_dead_is_running_again_once_it_goes_on(db: Database) -> None:
    _populate(db, 5, ("daily",))
    as_of = _ahead(10)
    expected = _expected_periods(db, as_of)
    slow = start_run(db, None, as_of, lease_seconds=30)
    with db.transaction() as session:
        session.execute(
            update(BillingRun)
            .where(BillingRun.id == slow.id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    other = start_run(db, None, as_of)  # records the slow one as interrupted
    with db.reading() as session:
        assert session.get_one(BillingRun, slow.id).status == "interrupted"
    done = carry_out(db, slow, batch_size=2)
    assert done.status == "finished" and done.periods_closed == expected
    with db.reading() as session:
        run = session.get_one(BillingRun, slow.id)
    assert (run.status, run.error, run.periods_closed) == ("finished", None, expected)
    assert carry_out(db, other).periods_closed == 0
    _check_closed_once(db, as_of, expected)
