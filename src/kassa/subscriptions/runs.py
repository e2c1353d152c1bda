"""Posting every due fee, a batch of customers per transaction: what a billing run (and so
the scheduler) does before it closes periods and again after, for the periods it opened."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kassa.core.clock import utcnow
from kassa.db.engine import Database
from kassa.subscriptions.fees import DEFAULT_BATCH, post_due_fees


@dataclass
class FeeRun:
    fees_posted: int = 0
    customers: int = 0
    # False when ``in_each_batch`` said stop before every due fee was posted.
    complete: bool = True


def post_all_due(
    db: Database,
    as_of: datetime,
    *,
    batch_size: int = DEFAULT_BATCH,
    in_each_batch: Callable[[Session], bool] | None = None,
) -> FeeRun:
    """Post the fees due by ``as_of`` of every customer whose open period runs, in id order,
    one transaction per batch. ``in_each_batch`` runs in each batch's transaction; False
    from it stops the posting after that batch."""
    result = FeeRun()
    after: int | None = None
    while True:
        with db.transaction() as session:
            posted = post_due_fees(session, as_of, after=after, limit=batch_size, now=utcnow())
            if posted.last_customer_id is None:
                return result
            go_on = in_each_batch(session) if in_each_batch else True
        result.fees_posted += posted.fees_posted
        result.customers += posted.customers
        after = posted.last_customer_id
        db.make_way_for_writers()
        if not go_on:
            result.complete = False
            return result
