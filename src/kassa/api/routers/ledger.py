"""Transactions, authorizations and usage import: the money-moving API."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from kassa.api.deps import Reader, database, require
from kassa.api.idempotency import money_call
from kassa.api.routing import api_router
from kassa.auth.actor import Actor, Permission
from kassa.billing import postings
from kassa.charging import authorizations as rated
from kassa.charging import usage as rated_usage
from kassa.charging.rates import authorization_rate_out
from kassa.core.clock import utcnow
from kassa.core.ids import Id
from kassa.core.money import format_micros
from kassa.core.vocabulary import AuthorizationStatus
from kassa.currencies.service import currency_exponent
from kassa.db.engine import Database, DbSession, Unit
from kassa.ledger import authorization_queries, authorizations, transactions
from kassa.ledger.authorization_queries import AuthorizationView
from kassa.ledger.holds import effective_status
from kassa.ledger.schemas import (
    AuthorizationOut,
    AuthorizationPage,
    CommitIn,
    ExtendIn,
    ReserveIn,
    TransactionIn,
    TransactionOut,
    TransactionPage,
    UsageBatchIn,
    UsageBatchOut,
)

router = api_router()
MoneyMover = Depends(require(Permission.MOVE_MONEY))
Authorizer = Depends(require(Permission.AUTHORIZE))
IDEMPOTENCY_DOC = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "maxLength": 255},
            "description": "A retry with the same key and body returns the first answer.",
        }
    ]
}
# What a reservation may be refused with besides what every money call may (kassa.api.openapi).
RESERVATION_PROBLEMS: dict[int | str, dict[str, Any]] = {
    402: {"description": "Insufficient funds: `available_funds` says what the customer has"},
    403: {
        "description": "The token's role may not authorize, or the customer is not active "
        "(`customer_status` says what it is)"
    },
}


def authorization_out(view: AuthorizationView) -> AuthorizationOut:
    auth, exponent = view.row, view.exponent
    out = AuthorizationOut(
        id=auth.id,
        customer_id=auth.customer_id,
        status=effective_status(auth.status, auth.expires_at, utcnow()),
        service=auth.service,
        session_id=auth.session_id,
        currency=auth.currency,
        amount=format_micros(auth.amount_micros, exponent),
        committed_amount=None
        if auth.committed_micros is None
        else format_micros(auth.committed_micros, exponent),
        transaction_id=auth.entry_id,
        available_funds=None
        if view.available_funds_micros is None
        else format_micros(view.available_funds_micros, exponent),
        created_at=auth.created_at,
        updated_at=auth.updated_at,
        expires_at=auth.expires_at,
    )
    if auth.unit is None:
        return out
    granted = auth.granted_units or 0
    out.account_id = auth.account_id
    out.destination = auth.destination
    out.unit = auth.unit
    out.granted_units = granted
    out.rate = authorization_rate_out(auth, exponent)
    if auth.committed_units is not None:
        out.units = auth.committed_units
        out.overrun_units = max(auth.committed_units - granted, 0)
        out.amount = out.committed_amount or out.amount
    return out


@router.post(
    "/customers/{customer_id}/transactions",
    response_model=TransactionOut,
    status_code=201,
    tags=["transactions"],
    openapi_extra=IDEMPOTENCY_DOC,
)
def post_transaction(
    customer_id: Id,
    body: TransactionIn,
    request: Request,
    actor: Actor = MoneyMover,
    db: Database = Depends(database),
) -> Response:
    def work(session: DbSession) -> BaseModel:
        return postings.post_transaction(session, actor, customer_id, body)

    return money_call(request, db, actor, postings.open_unit, work, body=body, status_code=201)


@router.get(
    "/customers/{customer_id}/transactions", response_model=TransactionPage, tags=["transactions"]
)
def list_transactions(
    customer_id: Id,
    type: str | None = Query(default=None, description="Only entries of this type"),
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> TransactionPage:
    with db.reading() as session:
        rows, next_cursor = transactions.list_transactions(
            session, customer_id, entry_type=type, limit=limit, cursor=cursor
        )
        items = [
            transactions.transaction_out(r, currency_exponent(session, r.currency)) for r in rows
        ]
        return TransactionPage(items=items, next_cursor=next_cursor)


@router.post(
    "/customers/{customer_id}/authorizations",
    response_model=AuthorizationOut,
    status_code=201,
    tags=["authorizations"],
    openapi_extra=IDEMPOTENCY_DOC,
    responses=RESERVATION_PROBLEMS,
)
def reserve(
    customer_id: Id,
    body: ReserveIn,
    request: Request,
    actor: Actor = Authorizer,
    db: Database = Depends(database),
) -> Response:
    def work(session: Unit) -> BaseModel:
        return authorization_out(authorizations.reserve(session, actor, customer_id, body))

    return money_call(
        request, db, actor, authorizations.open_unit, work, body=body, status_code=201
    )


@router.post(
    "/authorizations/{authorization_id}/extend",
    response_model=AuthorizationOut,
    tags=["authorizations"],
    openapi_extra=IDEMPOTENCY_DOC,
    responses=RESERVATION_PROBLEMS,
)
def extend(
    authorization_id: Id,
    body: ExtendIn,
    request: Request,
    actor: Actor = Authorizer,
    db: Database = Depends(database),
) -> Response:
    def work(session: Unit) -> BaseModel:
        return authorization_out(rated.extend(session, actor, authorization_id, body))

    return money_call(
        request, db, actor, authorizations.open_unit, work, body=body, status_code=200
    )


@router.post(
    "/authorizations/{authorization_id}/commit",
    response_model=AuthorizationOut,
    tags=["authorizations"],
    openapi_extra=IDEMPOTENCY_DOC,
)
def commit(
    authorization_id: Id,
    body: CommitIn,
    request: Request,
    actor: Actor = Authorizer,
    db: Database = Depends(database),
) -> Response:
    def work(session: Unit) -> BaseModel:
        return authorization_out(rated.commit(session, actor, authorization_id, body))

    return money_call(
        request, db, actor, authorizations.open_unit, work, body=body, status_code=200
    )


@router.post(
    "/authorizations/{authorization_id}/release",
    response_model=AuthorizationOut,
    tags=["authorizations"],
    openapi_extra=IDEMPOTENCY_DOC,
)
def release(
    authorization_id: Id,
    request: Request,
    actor: Actor = Authorizer,
    db: Database = Depends(database),
) -> Response:
    def work(session: Unit) -> BaseModel:
        return authorization_out(authorizations.release(session, actor, authorization_id))

    return money_call(
        request, db, actor, authorizations.open_unit, work, body=None, status_code=200
    )


@router.get(
    "/authorizations/{authorization_id}", response_model=AuthorizationOut, tags=["authorizations"]
)
def get_authorization(
    authorization_id: Id, _: Actor = Authorizer, db: Database = Depends(database)
) -> AuthorizationOut:
    with db.reading() as session:
        return authorization_out(authorization_queries.get_authorization(session, authorization_id))


@router.get(
    "/customers/{customer_id}/authorizations",
    response_model=AuthorizationPage,
    tags=["authorizations"],
)
def list_authorizations(
    customer_id: Id,
    status: AuthorizationStatus | None = Query(default=None),
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Authorizer,
    db: Database = Depends(database),
) -> AuthorizationPage:
    with db.reading() as session:
        views, next_cursor = authorization_queries.list_authorizations(
            session, customer_id, status=status, limit=limit, cursor=cursor
        )
        items = [authorization_out(view) for view in views]
        return AuthorizationPage(items=items, next_cursor=next_cursor)


@router.post("/usage", response_model=UsageBatchOut, tags=["usage"])
def import_usage(
    body: UsageBatchIn, actor: Actor = Authorizer, db: Database = Depends(database)
) -> UsageBatchOut:
    with db.transaction() as session:
        return rated_usage.import_usage(session, actor, body)
