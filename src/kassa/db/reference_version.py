"""One row that changes whenever reference data changes, so that a process may keep a copy.

Currencies, business models, customer classes (with their fields) and custom fields are read by
every customer creation, yet change a few times a year. Any change to them made through the ORM
writes a fresh token into ``app_settings`` in the same transaction. A process compares one short
read of that token with the token its copy was made under: never stale, and one query instead of
one per table.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, object_session

from kassa.db.models import (
    AppSetting,
    BusinessModel,
    Currency,
    CustomerClass,
    CustomerClassField,
    CustomField,
)

KEY = "reference_version"
MODELS = (BusinessModel, Currency, CustomField, CustomerClass, CustomerClassField)
_CHANGED = "kassa_reference_changed"


_READ = text("SELECT value FROM app_settings WHERE key = :key").bindparams(key=KEY)


def current(session: Session) -> str | None:
    """The token; None where no reference change has been recorded yet (copies unsafe)."""
    # Plain text on the session's connection: this runs on every customer creation, and an
    # ORM select of one column costs several times as much CPU for the same row.
    value = session.connection().execute(_READ).scalar()
    return None if value is None else str(value)


def record_change(connection: Connection) -> None:
    """A new token, in the caller's transaction: every copy made before it is now stale."""
    token = uuid4().hex
    connection.execute(
        _insert(connection, token).on_conflict_do_update(
            index_elements=[AppSetting.key], set_={"value": token}
        )
    )


def ensure(connection: Connection) -> None:
    """A token where none is recorded yet (a database from before tokens were kept)."""
    connection.execute(_insert(connection, uuid4().hex).on_conflict_do_nothing())


def _insert(connection: Connection, token: str) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(AppSetting).values(key=KEY, value=token)


def _mark(_mapper: Any, _connection: Any, target: object) -> None:
    session = object_session(target)
    if session is not None:
        session.info[_CHANGED] = True


for _model in MODELS:
    for _name in ("after_insert", "after_update", "after_delete"):
        event.listen(_model, _name, _mark)


@event.listens_for(Session, "after_flush")
def _record_after_flush(session: Session, _context: Any) -> None:
    # Once per flush however many rows changed; Core on the flush's own connection.
    if session.info.pop(_CHANGED, False):
        record_change(session.connection())
