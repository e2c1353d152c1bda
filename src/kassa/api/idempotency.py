"""Running a money-moving call under an optional Idempotency-Key (kassa.ledger.idempotency)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from kassa.auth.actor import Actor
from kassa.db.engine import Database
from kassa.ledger import idempotency
from kassa.ledger.idempotency import U

JSON = "application/json"


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
    answer, replayed = idempotency.answer_once(
        db,
        actor.user_id,
        key,
        request_hash,
        lambda unit: work(unit).model_dump_json(),
        open_unit=open_unit,
        status=status_code,
    )
    return Response(
        content=answer.body,
        status_code=answer.status,
        media_type=JSON,
        headers={"Idempotent-Replayed": "true"} if replayed else None,
    )
