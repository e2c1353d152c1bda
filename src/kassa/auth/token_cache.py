"""API tokens this process has authenticated lately, so that a known token costs no database
read on the real-time path.

A known token's user is remembered for ``TOKEN_TTL_SECONDS``: a revoked token, or a user
deactivated or given another role, is forgotten at once in the process that made the change
and within that many seconds in every other process.
"""

from __future__ import annotations

import hashlib
import time
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from kassa.auth.actor import Actor
from kassa.auth.service import authenticate_token
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


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def generation() -> int:
    """Read before a lookup and handed to :func:`look_up`."""
    return _generation


def known_actor(db: Database, digest: str) -> Actor | None:
    """The token's user if this process authenticated it less than the TTL ago."""
    known = _known_tokens.get(db)
    hit = known.get(digest) if known is not None else None
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    return None


def look_up(db: Database, token: str, digest: str, since_generation: int) -> Actor | None:
    """The token's user from the database, remembered unless tokens or users changed since
    ``since_generation`` was read; None for a token that is unknown or revoked."""
    with db.reading() as session:
        actor = authenticate_token(session, token)
    known = _known_tokens.get(db)
    if known is None:
        known = _known_tokens.setdefault(db, {})
    if actor is None:
        known.pop(digest, None)
    elif since_generation == _generation:
        if len(known) >= MAX_CACHED_TOKENS:
            known.clear()
        known[digest] = (time.monotonic() + TOKEN_TTL_SECONDS, actor)
    return actor
