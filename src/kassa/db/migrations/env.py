"""Alembic environment: the URL and, when given, the connection come from Kassa itself."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection

import kassa.db.models  # noqa: F401  (registers every table)
from kassa.db.base import Base, UTCDateTime
from kassa.db.engine import make_engine

config = context.config
target_metadata = Base.metadata

# Objects that only exist through raw SQL in migrations (search indexes, FTS shadow tables).
RAW_SQL_TABLE_PREFIXES = ("customer_search",)
RAW_SQL_INDEXES = ("ix_customers_name_key_trgm",)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if type_ == "table" and name and name.startswith(RAW_SQL_TABLE_PREFIXES):
        return False
    return not (type_ == "index" and name in RAW_SQL_INDEXES)


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Write Kassa's UTC column type as the plain DateTime it is stored as."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
