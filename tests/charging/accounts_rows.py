"""Accounts written straight to the database, for tests of rated charging that do not
exercise the accounts API itself."""

from __future__ import annotations

import os

from kassa.core.clock import utcnow
from kassa.core.vocabulary import AccountStatus
from kassa.db.engine import Database
from kassa.db.models import Account


def make_account(
    db: Database,
    customer_id: int,
    product_id: int,
    *,
    identifier: str | None = None,
    max_sessions: int | None = None,
    status: str = AccountStatus.ACTIVE,
) -> str:
    """An account of the customer on the product; returns its identifier."""
    identifier = identifier or "+4206" + str(int(os.urandom(4).hex(), 16) % 10**8).zfill(8)
    now = utcnow()
    with db.transaction() as session:
        session.add(
            Account(
                customer_id=customer_id,
                identifier=identifier,
                product_id=product_id,
                status=status,
                max_sessions=max_sessions,
                created_at=now,
                updated_at=now,
            )
        )
    return identifier


def set_account_status(db: Database, identifier: str, status: str) -> None:
    with db.transaction() as session:
        account = session.query(Account).filter_by(identifier=identifier).one()
        account.status = status
