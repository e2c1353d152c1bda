"""Idempotency keys: the first answer to a money-moving request, kept with the work it did."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, insert, select

from kassa.core.clock import utcnow
from kassa.core.errors import Conflict, ValidationFailed
from kassa.db.engine import Unit
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


def purge_expired(session: Unit) -> int:
    result = session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - RETENTION)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
