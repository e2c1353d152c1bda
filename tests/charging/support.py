"""A prepaid customer with an account on a voice product, over the API."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy import func, select

from kassa.db.engine import Database
from kassa.db.models import Authorization, Customer, LedgerEntry
from tests.charging.accounts_rows import make_account
from tests.conftest import Api, customer_body
from tests.rating_rows import RateRow, TariffRows, make_product

LONDON = "+442071234567"


@dataclass
class Line:
    customer_id: int
    account: str
    product_id: int


def line(
    api: Api,
    db: Database,
    funds: str | None = "10.00",
    *rates: RateRow,
    max_sessions: int | None = None,
) -> Line:
    """A customer (prepaid with ``funds``, or postpaid without a limit when None) and an account
    on a voice product rated by ``rates`` (default: 0.012 a minute, 60/6, everywhere)."""
    if funds is None:
        body = customer_body(credit_limit=None)
    else:
        body = customer_body(balance_control="prepaid", credit_limit=..., available_funds=funds)
    created = api.post("/customers", body)
    assert created.status_code == 201, created.text
    customer_id = int(created.json()["id"])
    product = make_product(db, "USD", TariffRows(rates=list(rates) or [RateRow("")]))
    return Line(
        customer_id, make_account(db, customer_id, product, max_sessions=max_sessions), product
    )


def reserve(
    api: Api,
    account: str,
    units: int = 3600,
    headers: dict[str, str] | None = None,
    **extra: object,
) -> httpx.Response:
    body = {"account": account, "service": "voice", "destination": LONDON, "units": units}
    return api.post("/authorizations", {**body, **extra}, headers=headers)


def state(db: Database, customer_id: int) -> tuple[int, int, int, int]:
    """(balance, reserved, ledger entries, authorizations) straight from the database."""
    with db.reading() as session:
        customer = session.get_one(Customer, customer_id)
        entries = session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.customer_id == customer_id)
        )
        auths = session.scalar(
            select(func.count())
            .select_from(Authorization)
            .where(Authorization.customer_id == customer_id)
        )
        return customer.balance_micros, customer.reserved_micros, int(entries or 0), int(auths or 0)
