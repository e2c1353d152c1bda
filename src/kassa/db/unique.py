"""A write that a unique index may refuse: a concurrent save of the same name passes every
check made before it, and only the index decides which one wins."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from kassa.core.errors import Conflict, FieldErrors
from kassa.core.names import MAX_KEY_LENGTH, clean_name, key_too_long, name_key


def flush_or_conflict(session: Session, conflict: Conflict) -> None:
    """Flush the session's pending changes; a unique violation raises ``conflict`` instead,
    and the session's transaction goes on as before the flush."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise conflict from exc


def check_free_name(
    session: Session,
    name: str,
    *,
    key: InstrumentedAttribute[str],
    row_id: InstrumentedAttribute[int],
    exclude_id: int | None,
    errors: FieldErrors,
    taken: Callable[[str], Conflict],
    empty_message: str = "must not be empty",
) -> str:
    """``name`` cleaned (kassa.core.names), with an error on ``name`` in ``errors`` when it is
    empty or too long; ``taken(name)`` is raised when another row (not ``exclude_id``) already
    holds its key in the ``key`` column. The unique index still decides a concurrent save
    (:func:`flush_or_conflict`)."""
    name = clean_name(name or "")
    if not name:
        errors.add("name", empty_message)
        return name
    if key_too_long(name):
        errors.add("name", f"is too long: it spells more than {MAX_KEY_LENGTH} letters")
        return name
    clash = select(row_id).where(key == name_key(name))
    if exclude_id is not None:
        clash = clash.where(row_id != exclude_id)
    if session.scalar(clash) is not None:
        raise taken(name)
    return name
