"""The lock order, said once: a customer's row before anything of the customer's.

A transaction that changes a customer's balance, status or invoices locks the customer's row
first, and only then reads or changes the customer's ledger, invoices and events:

- a posting (a payment, a charge, a commit of usage) locks its one customer, in
  ``kassa.ledger.transactions.lock_customer`` or the real-time path's own statement, then
  settles the invoices a credit covers;
- collection locks a batch of customers with :func:`lock_customers`, then marks their invoices
  overdue and suspends them;
- closing periods locks its batch of customers (``kassa.billing.close``), waiting for any
  transaction that holds one, then re-checks each row it got.

Several customers' rows are always taken in ascending id order, and always ``FOR UPDATE``.
Since everyone waits for the customer's row before touching what belongs to the customer, and
rows are taken in one order, no two transactions can wait for each other in a cycle: a
payment and collection on one customer queue one behind the other instead of deadlocking, and
the second reads the invoices as the first left them. The updates re-check the state they
change all the same (an invoice falls overdue only while still ``issued``), so a stale read
can never undo a payment.

The one row taken before a customer's is an authorization's: extend, commit and release lock
the authorization, then its customer, and the sweeper locks lapsed authorizations, then their
customers in id order. Nothing that holds a customer's row waits for an
authorization's (reserve and the sweeper pass over locked ones with ``SKIP LOCKED``), so that
closes no cycle. The real-time path's customer queue (``kassa.ledger.queue``) is taken before
both, on one customer only; a transaction that takes rows here waits for no queue.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.db.models import Customer


def lock_customers(session: Session, customer_ids: Iterable[int]) -> list[int]:
    """Lock these customers' rows for this transaction, in ascending id order, waiting for any
    transaction that holds one; returns the ids that exist, ascending. (SQLite has one writer
    at a time and needs no row locks.)"""
    ids = sorted(set(customer_ids))
    if not ids:
        return []
    return list(
        session.scalars(
            select(Customer.id).where(Customer.id.in_(ids)).order_by(Customer.id).with_for_update()
        )
    )
