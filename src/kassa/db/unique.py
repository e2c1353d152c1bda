"""A write that a unique index may refuse: a concurrent save of the same name passes every
check made before it, and only the index decides which one wins."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kassa.core.errors import Conflict


def flush_or_conflict(session: Session, conflict: Conflict) -> None:
    """Flush the session's pending changes; a unique violation raises ``conflict`` instead,
    and the session's transaction goes on as before the flush."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise conflict from exc
