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
    work: Callable[[U], BaseModel],
    *,
    transaction: Callable[[], AbstractContextManager[U]],
    body: BaseModel | None,
    status_code: int,
) -> Response:
    """Run ``work`` in a ``transaction`` of its own (``db.transaction``, or for work that sends
    only Core statements, as the real-time path does, the lighter ``db.core_transaction``)."""
    raw_key = request.headers.get("idempotency-key")
    if raw_key is None or actor.user_id is None:
        with transaction() as session:
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
        transaction=transaction,
        status=status_code,
    )
    return Response(
        content=answer.body,
        status_code=answer.status,
        media_type=JSON,
        headers={"Idempotent-Replayed": "true"} if replayed else None,
    )
