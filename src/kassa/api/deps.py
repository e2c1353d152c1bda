"""What every API route needs: the database, and the acting user with a permission check.

The dependencies are coroutines so that FastAPI runs them on the event loop instead of handing
each to the thread pool; only a token the process has not seen lately (kassa.auth.token_cache)
costs a database read, in the thread pool.
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations of a dependency's
# ``__call__`` at runtime, and older FastAPI cannot resolve them there when they are strings.

from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBase as HTTPScheme
from fastapi.security.base import SecurityBase
from starlette.concurrency import run_in_threadpool

from kassa.auth import token_cache
from kassa.auth.actor import Actor, Permission
from kassa.core.errors import Unauthorized
from kassa.db.engine import Database


async def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


class BearerToken(SecurityBase):
    """The acting user, from ``Authorization: Bearer <token>``. Being a FastAPI security scheme,
    it is documented as ``bearerAuth`` on every operation that depends on it."""

    def __init__(self) -> None:
        self.scheme_name = "bearerAuth"
        self.model = HTTPScheme(
            scheme="bearer",
            description="An API token: `kassa tokens create`, or POST /api/v1/users/{id}/tokens.",
        )

    async def __call__(self, request: Request) -> Actor:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("send 'Authorization: Bearer <token>'", code="unauthorized")
        db = await database(request)
        digest = token_cache.token_digest(token)
        actor = token_cache.known_actor(db, digest)
        if actor is not None:
            return actor
        since = token_cache.generation()
        actor = await run_in_threadpool(token_cache.look_up, db, token, digest, since)
        if actor is None:
            raise Unauthorized("the token is unknown or revoked", code="invalid_token")
        return actor


current_actor = BearerToken()


class PermissionCheck:
    """The acting user, refused (403) unless their role grants ``permission``."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, actor: Actor = Depends(current_actor)) -> Actor:
        actor.require(self.permission)
        return actor


def require(permission: Permission) -> PermissionCheck:
    return PermissionCheck(permission)


Reader = Depends(require(Permission.READ))
Configurer = Depends(require(Permission.CONFIGURE))
RatingManager = Depends(require(Permission.MANAGE_RATING))
CustomerManager = Depends(require(Permission.MANAGE_CUSTOMERS))
