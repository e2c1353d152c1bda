"""name keys: business models and customer classes get one, customers' are folded anew

Names are unique whatever their case. The key is folded in Python (kassa.core.names), since
neither database folds case the way people read it, and kept under a unique index.

Rows already stored may share a key under the new folding ("Über" and "über" passed SQLite's
ASCII-only lower()): the first keeps the key, each later one gets the key with its id added,
so the upgrade never fails on them and the operator can rename them at leisure.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 22:40:00
"""

import logging
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from kassa.core.names import name_key

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY_LENGTH = 200
NEW_KEYS = ("business_models", "customer_classes")
log = logging.getLogger("alembic.runtime.migration")


def _old_customer_key(name: str) -> str:
    """The customers' key before this revision."""
    return " ".join(name.split()).casefold()


def _rekey(table_name: str, fold: Callable[[str], str]) -> None:
    """Set every row's key to ``fold(name)``, keeping keys distinct."""
    table = sa.table(table_name, sa.column("id"), sa.column("name"), sa.column("name_key"))
    bind = op.get_bind()
    rows = bind.execute(sa.select(table.c.id, table.c.name, table.c.name_key).order_by("id"))
    used: set[str] = set()
    changed: list[dict[str, object]] = []
    for row_id, name, old in rows.all():
        key = fold(name)[:KEY_LENGTH]
        if key in used:
            suffix = f" #{row_id}"
            key = key[: KEY_LENGTH - len(suffix)] + suffix
            log.warning("%s %s: '%s' is the name of an older row too", table_name, row_id, name)
        used.add(key)
        if key != old:
            changed.append({"row_id": row_id, "key": key})
    if not changed:
        return
    update = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(name_key=sa.bindparam("key"))
    )
    # First onto keys no name folds to (none starts with a blank), so that two rows trading
    # keys never meet on one under the unique index.
    bind.execute(update, [{"row_id": c["row_id"], "key": f" {c['row_id']}"} for c in changed])
    bind.execute(update, changed)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table_name in NEW_KEYS:
        # Plain ALTERs, not batch copies: customers refer to both tables.
        op.add_column(
            table_name,
            sa.Column("name_key", sa.String(length=KEY_LENGTH), nullable=False, server_default=""),
        )
        _rekey(table_name, name_key)
        if postgresql:
            op.alter_column(table_name, "name_key", server_default=None)
        op.create_index(f"ix_{table_name}_name_key", table_name, ["name_key"], unique=True)
    _rekey("customers", name_key)


def downgrade() -> None:
    _rekey("customers", _old_customer_key)
    for table_name in reversed(NEW_KEYS):
        op.drop_index(f"ix_{table_name}_name_key", table_name=table_name)
        op.drop_column(table_name, "name_key")
