"""What every API route needs: the database, and the acting user with a permission check.

The dependencies are coroutines so that FastAPI runs them on the event loop instead of handing
each to the thread pool; only a token the process has not seen lately costs a database read
(in the thread pool). A known token's user is remembered for ``TOKEN_TTL_SECONDS``: a revoked
token, or a user deactivated or given another role, is forgotten at once in the process that
made the change and within that many seconds in every other process.
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations of a dependency's
# ``__call__`` at runtime, and older FastAPI cannot resolve them there when they are strings.

import hashlib
import time
import weakref
from typing import Any

from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBase as HTTPScheme
from fastapi.security.base import SecurityBase
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session
from starlette.concurrency import run_in_threadpool

from kassa.auth.actor import Actor, Permission
from kassa.auth.service import authenticate_token
from kassa.core.errors import Unauthorized
from kassa.db.engine import Database
from kassa.db.models import ApiToken, User

TOKEN_TTL_SECONDS = 2.0
MAX_CACHED_TOKENS = 4096
_CHANGED = "kassa_tokens_changed"

# Per database: token digest -> (monotonic expiry, actor). Only tokens that authenticated are
# kept. The generation moves on every forget, so a lookup that overlapped a change is not kept.
_known_tokens: weakref.WeakKeyDictionary[Database, dict[str, tuple[float, Actor]]] = (
    weakref.WeakKeyDictionary()
)
_generation = 0


def forget_tokens() -> None:
    global _generation
    _generation += 1
    for known in list(_known_tokens.values()):
        known.clear()


def _forget_on_change(_mapper: Any, _connection: Any, target: object) -> None:
    forget_tokens()
    # Forget again once the change is committed: a request that read the old row between the
    # flush and the commit must not keep it.
    session = object_session(target)
    if session is not None:
        session.info[_CHANGED] = True


for _model in (ApiToken, User):
    event.listen(_model, "after_update", _forget_on_change)
    event.listen(_model, "after_delete", _forget_on_change)


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        forget_tokens()


async def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _lookup(db: Database, token: str) -> Actor | None:
    with db.reading() as session:
        return authenticate_token(session, token)


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
        known = _known_tokens.get(db)
        if known is None:
            known = _known_tokens.setdefault(db, {})
        digest = hashlib.sha256(token.encode()).hexdigest()
        hit = known.get(digest)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        generation = _generation
        actor = await run_in_threadpool(_lookup, db, token)
        if actor is None:
            known.pop(digest, None)
            raise Unauthorized("the token is unknown or revoked", code="invalid_token")
        if generation == _generation:
            if len(known) >= MAX_CACHED_TOKENS:
                known.clear()
            known[digest] = (time.monotonic() + TOKEN_TTL_SECONDS, actor)
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
CustomerManager = Depends(require(Permission.MANAGE_CUSTOMERS))
