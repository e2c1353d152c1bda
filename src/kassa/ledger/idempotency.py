"""Idempotency keys: the first answer to a money-moving request, kept with the work it did.

The key's answer is stored in the same transaction as the work, so a key exists exactly when
the work was done. Of two identical requests racing with one key, the unique constraint lets
one commit; the other rolls back and returns the winner's answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kassa.core.clock import utcnow
from kassa.core.errors import Conflict, KassaError, ValidationFailed
from kassa.db.engine import Database, Unit
from kassa.db.models import IdempotencyKey

MAX_KEY_LENGTH = 255
RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    body: str


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed.field(
            "Idempotency-Key",
            f"must be 1-{MAX_KEY_LENGTH} characters",
            code="invalid_idempotency_key",
        )
    return key


def find_answer(session: Unit, user_id: int, key: str, request_hash: str) -> StoredAnswer | None:
    row = session.execute(
        select(
            IdempotencyKey.request_hash,
            IdempotencyKey.response_status,
            IdempotencyKey.response_body,
        ).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    ).first()
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise Conflict(
            "this Idempotency-Key was used with another request",
            code="idempotency_key_reused",
        )
    return StoredAnswer(row.response_status, row.response_body)


def store_answer(
    session: Unit, user_id: int, key: str, request_hash: str, status: int, body: str
) -> None:
    session.execute(
        insert(IdempotencyKey).values(
            user_id=user_id,
            key=key,
            request_hash=request_hash,
            response_status=status,
            response_body=body,
            created_at=utcnow(),
        )
    )


# The work runs on what the ledger's unit yields: an ORM session or a bare Core connection.
U = TypeVar("U", Session, Connection)


def answer_once(
    db: Database,
    user_id: int,
    key: str,
    request_hash: str,
    work: Callable[[U], str],
    *,
    open_unit: Callable[[Database], AbstractContextManager[U]],
    status: int,
) -> tuple[StoredAnswer, bool]:
    """The answer to a keyed request, and whether it is replayed: the one kept for the key, or
    else what ``work`` answers (a JSON body) in the unit ``open_unit`` opens, which keeps it
    (``kassa.ledger.authorizations.open_unit`` for the real-time calls, say)."""
    try:
        with open_unit(db) as unit:
            answer = find_answer(unit, user_id, key, request_hash)
            if answer is not None:
                return answer, True
            body = work(unit)
            store_answer(unit, user_id, key, request_hash, status, body)
        return StoredAnswer(status, body), False
    except (IntegrityError, KassaError):
        # A twin request may have done the work meanwhile: its answer is ours.
        with db.reading() as session:
            answer = find_answer(session, user_id, key, request_hash)
        if answer is not None:
            return answer, True
        raise


def purge_expired(session: Unit) -> int:
    result = session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - RETENTION)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
