"""What every API route needs: the database, and the acting user with a permission check."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request

from kassa.auth.actor import Actor, Permission
from kassa.auth.service import authenticate_token
from kassa.core.errors import Unauthorized
from kassa.db.engine import Database


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def current_actor(request: Request) -> Actor:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <token>'", code="unauthorized")
    with database(request).reading() as session:
        actor = authenticate_token(session, token.strip())
    if actor is None:
        raise Unauthorized("the token is unknown or revoked", code="invalid_token")
    return actor


def require(permission: Permission) -> Callable[[Actor], Actor]:
    def _check(actor: Actor = Depends(current_actor)) -> Actor:
        actor.require(permission)
        return actor

    return _check


Reader = Depends(require(Permission.READ))
Configurer = Depends(require(Permission.CONFIGURE))
CustomerManager = Depends(require(Permission.MANAGE_CUSTOMERS))
