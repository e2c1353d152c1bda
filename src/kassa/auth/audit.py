"""The audit trail: who changed what, from what, to what, when."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.db.models import AuditLog

_TABLE = cast(Table, AuditLog.__table__)


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    if before is not None and after is not None:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        if not changed:
            return
        before = {k: before.get(k) for k in sorted(changed)}
        after = {k: after.get(k) for k in sorted(changed)}
    # Pending changes first, so the trail follows them; then one INSERT of the row. Every change
    # writes one, and a unit-of-work flush of an ORM object costs several times the statement.
    session.flush()
    session.execute(
        insert(_TABLE),
        {
            "user_id": actor.user_id,
            "action": action,
            "entity_type": entity_type,
            "entity_id": str(entity_id),
            "before": before,
            "after": after,
            "created_at": utcnow(),
        },
    )
