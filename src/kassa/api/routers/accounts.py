"""Accounts: the identities the network knows, each under one customer."""

from __future__ import annotations

from fastapi import Depends, Query, Request

from kassa.accounts import queries, service
from kassa.accounts.schemas import (
    AccountIn,
    AccountOut,
    AccountPage,
    AccountPatch,
    AccountStatusChange,
)
from kassa.api.deps import CustomerManager, Reader, database
from kassa.api.routing import api_router
from kassa.auth.actor import Actor
from kassa.auth.password_flows import Passwords
from kassa.core.ids import Id
from kassa.core.vocabulary import AccountStatus
from kassa.customers.queries import get_customer
from kassa.db.engine import Database

router = api_router(tags=["accounts"])


async def passwords(request: Request) -> Passwords:
    work: Passwords = request.app.state.passwords
    return work


@router.post("/customers/{customer_id}/accounts", response_model=AccountOut, status_code=201)
async def create_account(
    customer_id: Id,
    body: AccountIn,
    actor: Actor = CustomerManager,
    work: Passwords = Depends(passwords),
) -> AccountOut:
    """A new active account of the customer. The identifier is unique across the system (409
    ``account_identifier_taken``); the product must be priced in the customer's currency."""
    service.check_new_account(body)
    # Hashed before the transaction opens: a writer holds no lock while Argon2 runs.
    password_hash = await work.hashing.hash(body.password) if body.password is not None else None
    return await work.write(
        lambda session: queries.account_out(
            service.create_account(session, actor, customer_id, body, password_hash=password_hash)
        )
    )


@router.get("/customers/{customer_id}/accounts", response_model=AccountPage)
def list_customer_accounts(
    customer_id: Id,
    status: AccountStatus | None = Query(default=None),
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> AccountPage:
    with db.reading() as session:
        get_customer(session, customer_id)
        rows, next_cursor = queries.list_accounts(
            session, customer_id=customer_id, status=status, limit=limit, cursor=cursor
        )
        return AccountPage(items=[queries.account_out(a) for a in rows], next_cursor=next_cursor)


@router.get("/accounts", response_model=AccountPage)
def list_accounts(
    identifier: str | None = Query(
        default=None, max_length=1000, description="Exactly this identifier: at most one account"
    ),
    customer_id: Id | None = Query(default=None),
    status: AccountStatus | None = Query(default=None),
    product_id: Id | None = Query(default=None),
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> AccountPage:
    with db.reading() as session:
        rows, next_cursor = queries.list_accounts(
            session,
            identifier=identifier,
            customer_id=customer_id,
            status=status,
            product_id=product_id,
            limit=limit,
            cursor=cursor,
        )
        return AccountPage(items=[queries.account_out(a) for a in rows], next_cursor=next_cursor)


@router.get("/accounts/{account_id}", response_model=AccountOut)
def get_account(account_id: Id, _: Actor = Reader, db: Database = Depends(database)) -> AccountOut:
    with db.reading() as session:
        return queries.account_out(queries.get_account(session, account_id))


@router.patch("/accounts/{account_id}", response_model=AccountOut)
async def update_account(
    account_id: Id,
    body: AccountPatch,
    actor: Actor = CustomerManager,
    work: Passwords = Depends(passwords),
) -> AccountOut:
    """Change the identifier, product, password (null clears it) or session limit. A closed
    account changes no more (409 ``account_closed``)."""
    service.check_account_patch(body)
    password_hash = await work.hashing.hash(body.password) if body.password is not None else None
    return await work.write(
        lambda session: queries.account_out(
            service.update_account(session, actor, account_id, body, password_hash=password_hash)
        )
    )


@router.post("/accounts/{account_id}/status", response_model=AccountOut)
def change_account_status(
    account_id: Id,
    body: AccountStatusChange,
    actor: Actor = CustomerManager,
    db: Database = Depends(database),
) -> AccountOut:
    """``block`` (active to blocked), ``unblock`` (blocked to active), ``close`` (for good).
    Any other move is 409 ``invalid_status_transition``."""
    with db.transaction() as session:
        return queries.account_out(service.change_status(session, actor, account_id, body.action))
