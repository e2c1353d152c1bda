"""Running a money-moving call under an optional Idempotency-Key.

The key's answer is stored in the same transaction as the work, so a key exists exactly when
the work was done. Of two identical requests racing with one key, the unique constraint lets
one commit; the other rolls back and returns the winner's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kassa.auth.actor import Actor
from kassa.core.errors import KassaError
from kassa.db.engine import Database
from kassa.ledger import idempotency

# The work runs on what the ledger's unit yields: an ORM session or a bare Core connection.
U = TypeVar("U", Session, Connection)
JSON = "application/json"


def _replay(answer: idempotency.StoredAnswer) -> Response:
    return Response(
        content=answer.body,
        status_code=answer.status,
        media_type=JSON,
        headers={"Idempotent-Replayed": "true"},
    )


def money_call(
    request: Request,
    db: Database,
    actor: Actor,
    open_unit: Callable[[Database], AbstractContextManager[U]],
    work: Callable[[U], BaseModel],
    *,
    body: BaseModel | None,
    status_code: int,
) -> Response:
    """Run ``work`` in a transaction of its own, of the kind the ledger's ``open_unit`` opens
    (``kassa.ledger.authorizations.open_unit`` for the real-time calls, say)."""
    raw_key = request.headers.get("idempotency-key")
    if raw_key is None or actor.user_id is None:
        with open_unit(db) as session:
            result = work(session)
        return Response(content=result.model_dump_json(), status_code=status_code, media_type=JSON)
    key = idempotency.check_key(raw_key)
    request_hash = idempotency.fingerprint(
        request.method, request.url.path, body.model_dump_json().encode() if body else b""
    )
    user_id = actor.user_id
    try:
        with open_unit(db) as session:
            answer = idempotency.find_answer(session, user_id, key, request_hash)
            if answer is not None:
                return _replay(answer)
            result = work(session)
            payload = result.model_dump_json()
            idempotency.store_answer(session, user_id, key, request_hash, status_code, payload)
        return Response(content=payload, status_code=status_code, media_type=JSON)
    except (IntegrityError, KassaError):
        # A twin request may have done the work meanwhile: its answer is ours.
        with db.reading() as session:
            answer = idempotency.find_answer(session, user_id, key, request_hash)
        if answer is not None:
            return _replay(answer)
        raise
