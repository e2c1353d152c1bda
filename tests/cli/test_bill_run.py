"""``kassa bill-run`` refuses an ``--as-of`` past the billing horizon before anything runs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kassa.core.clock import utcnow
from kassa.db.models import AuditLog, BillingPeriod, BillingRun
from tests.cli.conftest import Kassa

RED = "\x1b[31m"


@pytest.mark.parametrize("yes", [["--yes"], []])
def test_an_as_of_past_the_horizon_exits_1_naming_the_field_and_the_option(
    kassa: Kassa, yes: list[str]
) -> None:
    kassa.ok(
        "customers",
        "add",
        "--name",
        "Daily",
        "--balance-control",
        "postpaid",
        "--currency",
        "USD",
        "--business-model",
        "1",
        "--billing-period",
        "daily",
    )
    audited = kassa.count(AuditLog)
    result = kassa("bill-run", "--as-of", "9999-12-31T23:59:59Z", *yes, env={"FORCE_COLOR": "1"})
    assert result.exit_code == 1, result.output
    assert "as_of (--as-of)" in result.output
    assert (
        "at most 366 days ahead" in result.output and "KASSA_BILLING_HORIZON_DAYS" in result.output
    )
    assert RED in result.output  # the error is printed in red
    assert "--yes" not in result.output  # refused outright: there is nothing to confirm
    assert kassa.count(BillingRun) == kassa.count(BillingPeriod) == 0
    assert kassa.count(AuditLog) == audited


def test_the_horizon_comes_from_the_setting(kassa: Kassa) -> None:
    as_of = (utcnow() + timedelta(days=12)).isoformat()
    refused = kassa("bill-run", "--as-of", as_of, env={"KASSA_BILLING_HORIZON_DAYS": "10"})
    assert refused.exit_code == 1, refused.output
    assert "at most 10 days ahead" in refused.output
    assert kassa.count(BillingRun) == 0
    bad = kassa("bill-run", env={"KASSA_BILLING_HORIZON_DAYS": "0"})
    assert bad.exit_code == 1 and "KASSA_BILLING_HORIZON_DAYS must be 1 or more" in bad.output
    ran = kassa("bill-run", "--as-of", as_of, env={"KASSA_BILLING_HORIZON_DAYS": "20"})
    assert ran.exit_code == 0, ran.output
    assert "Billing run 1 finished." in ran.output
    assert kassa.count(BillingRun) == 1
