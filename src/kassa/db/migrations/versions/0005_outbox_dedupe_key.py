"""outbox events keyed by what they report, once

Overlapping billing runs reported one overdue invoice once per run. An event that may be
reported only once now carries a key, and a unique index lets one row per key in; events that
need no key leave it NULL, which the index does not compare.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column and an index: no table rebuild on SQLite, no rewrite on PostgreSQL.
    op.add_column("outbox_events", sa.Column("dedupe_key", sa.String(length=200), nullable=True))
    op.create_index("ix_outbox_events_dedupe_key", "outbox_events", ["dedupe_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_outbox_events_dedupe_key", table_name="outbox_events")
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_column("dedupe_key")
