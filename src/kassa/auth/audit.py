"""The audit trail: who changed what, from what, to what, when."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.db.models import AuditLog, User
from kassa.db.pagination import paginate

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


def page_entries(
    session: Session,
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    limit: int | None,
    cursor: str | None,
) -> tuple[list[AuditLog], str | None]:
    """The trail, oldest first, narrowed to one kind of entity or one entity."""
    stmt = select(AuditLog)
    if entity_type:
        stmt = stmt.where(AuditLog.entity_type == entity_type)
    if entity_id:
        stmt = stmt.where(AuditLog.entity_id == entity_id)
    return paginate(session, stmt, AuditLog.id, limit=limit, cursor=cursor)


def latest_entries(
    session: Session, entity_type: str, entity_id: object, limit: int
) -> list[tuple[AuditLog, str | None]]:
    """One entity's latest changes, newest first, each with its user's name (None for the
    system)."""
    rows = session.execute(
        select(AuditLog, User.username)
        .outerjoin(User, User.id == AuditLog.user_id)
        .where(AuditLog.entity_type == entity_type, AuditLog.entity_id == str(entity_id))
        .order_by(AuditLog.id.desc())
        .limit(limit)
    )
    return [(entry, username) for entry, username in rows]
