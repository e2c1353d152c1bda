"""Rated authorizations and quotes: the network asks in units, Kassa rates and decides. (Their
extend, commit and release are the authorizations' own routes, in the ledger's router.)"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel

from kassa.api.deps import database, require
from kassa.api.idempotency import money_call
from kassa.api.routers.ledger import IDEMPOTENCY_DOC, authorization_out
from kassa.api.routing import api_router
from kassa.auth.actor import Actor, Permission
from kassa.charging import authorizations, quote
from kassa.charging.schemas import QuoteIn, QuoteOut, RatedReserveIn
from kassa.db.engine import Database, Unit
from kassa.ledger.authorizations import open_unit
from kassa.ledger.schemas import AuthorizationOut

router = api_router()
Authorizer = Depends(require(Permission.AUTHORIZE))
ACCOUNT_NOT_FOUND: dict[str, Any] = {"description": "No account has that identifier"}
RATED_PROBLEMS: dict[int | str, dict[str, Any]] = {
    402: {"description": "Insufficient funds: `available_funds` says what the customer has"},
    403: {
        "description": "The token's role may not authorize, or the account or its customer is "
        "not active (`account_status`, `customer_status`)"
    },
    404: ACCOUNT_NOT_FOUND,
}


@router.post(
    "/authorizations",
    response_model=AuthorizationOut,
    status_code=201,
    tags=["authorizations"],
    openapi_extra=IDEMPOTENCY_DOC,
    responses=RATED_PROBLEMS,
)
def reserve_units(
    body: RatedReserveIn,
    request: Request,
    actor: Actor = Authorizer,
    db: Database = Depends(database),
) -> Response:
    """Reserve units for an account's session: as many as the funds cover, rated by the
    account's product."""

    def work(session: Unit) -> BaseModel:
        return authorization_out(authorizations.reserve(session, actor, body))

    return money_call(request, db, actor, open_unit, work, body=body, status_code=201)


@router.post(
    "/rating/quote", response_model=QuoteOut, tags=["rating"], responses={404: ACCOUNT_NOT_FOUND}
)
def rating_quote(
    body: QuoteIn, _: Actor = Authorizer, db: Database = Depends(database)
) -> QuoteOut:
    """What the units would cost the account now; nothing is held."""
    with db.reading() as session:
        return quote.quote(session, body)
