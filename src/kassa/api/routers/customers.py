from __future__ import annotations

from fastapi import Depends, Query

from kassa.api.deps import CustomerManager, Reader, database
from kassa.api.routing import api_router
from kassa.auth.actor import Actor
from kassa.core.ids import Id
from kassa.currencies.service import currency_exponent
from kassa.customers import queries, service
from kassa.customers.schemas import (
    CustomerIn,
    CustomerOut,
    CustomerPage,
    CustomerPatch,
    StatusChange,
)
from kassa.customers.views import customer_out
from kassa.db.engine import Database
from kassa.ledger.authorization_queries import lapsed_holds

router = api_router(tags=["customers"])


@router.post("/customers", response_model=CustomerOut, status_code=201)
def create_customer(
    body: CustomerIn, actor: Actor = CustomerManager, db: Database = Depends(database)
) -> CustomerOut:
    with db.transaction() as session:
        customer = service.create_customer(session, actor, body)
        return customer_out(customer, currency_exponent(session, customer.currency))


@router.get("/customers", response_model=CustomerPage)
def list_customers(
    q: str | None = Query(default=None, max_length=200, description="Name (or part of it), or id"),
    status: str | None = Query(default=None),
    customer_class_id: Id | None = Query(default=None),
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> CustomerPage:
    with db.reading() as session:
        rows, next_cursor = queries.list_customers(
            session,
            q=q,
            status=status,
            customer_class_id=customer_class_id,
            limit=limit,
            cursor=cursor,
        )
        lapsed = lapsed_holds(session, [c.id for c in rows if c.reserved_micros])
        return CustomerPage(
            items=[
                customer_out(c, currency_exponent(session, c.currency), lapsed.get(c.id, 0))
                for c in rows
            ],
            next_cursor=next_cursor,
        )


@router.get("/customers/{customer_id}", response_model=CustomerOut)
def get_customer(
    customer_id: Id, _: Actor = Reader, db: Database = Depends(database)
) -> CustomerOut:
    with db.reading() as session:
        customer = queries.get_customer(session, customer_id)
        lapsed = lapsed_holds(session, [customer.id]).get(customer.id, 0)
        return customer_out(customer, currency_exponent(session, customer.currency), lapsed)


@router.patch("/customers/{customer_id}", response_model=CustomerOut)
def update_customer(
    customer_id: Id,
    body: CustomerPatch,
    actor: Actor = CustomerManager,
    db: Database = Depends(database),
) -> CustomerOut:
    with db.transaction() as session:
        customer = service.update_customer(session, actor, customer_id, body)
        return customer_out(customer, currency_exponent(session, customer.currency))


@router.post("/customers/{customer_id}/status", response_model=CustomerOut)
def change_status(
    customer_id: Id,
    body: StatusChange,
    actor: Actor = CustomerManager,
    db: Database = Depends(database),
) -> CustomerOut:
    with db.transaction() as session:
        customer = service.change_status(session, actor, customer_id, body.action)
        return customer_out(customer, currency_exponent(session, customer.currency))
