"""invoice lines keyed by (invoice, position)

A bill run inserts invoice lines by the hundred thousand. Keyed by their invoice and position
they need one B-tree instead of two (a surrogate key and an index on the invoice), and on
SQLite the table is stored clustered by that key (WITHOUT ROWID).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
COLUMNS = "invoice_id, position, description, service, entry_type, quantity, amount_micros"


def _line_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=True),
        sa.Column("entry_type", sa.String(length=24), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
    ]


def _foreign_key() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["invoice_id"],
        ["invoices.id"],
        name=op.f("fk_invoice_lines_invoice_id_invoices"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(op.f("ix_invoice_lines_invoice_id"), table_name="invoice_lines")
        op.drop_constraint(op.f("pk_invoice_lines"), "invoice_lines", type_="primary")
        op.drop_column("invoice_lines", "id")
        op.create_primary_key(op.f("pk_invoice_lines"), "invoice_lines", ["invoice_id", "position"])
        return
    # SQLite changes a table's key only by building the table anew.
    op.create_table(
        "invoice_lines_keyed",
        sa.Column("invoice_id", ID, nullable=False),
        *_line_columns(),
        _foreign_key(),
        sa.PrimaryKeyConstraint("invoice_id", "position", name=op.f("pk_invoice_lines")),
        sqlite_with_rowid=False,
    )
    op.execute(f"INSERT INTO invoice_lines_keyed ({COLUMNS}) SELECT {COLUMNS} FROM invoice_lines")
    op.drop_index(op.f("ix_invoice_lines_invoice_id"), table_name="invoice_lines")
    op.drop_table("invoice_lines")
    op.rename_table("invoice_lines_keyed", "invoice_lines")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("pk_invoice_lines"), "invoice_lines", type_="primary")
        op.add_column("invoice_lines", sa.Column("id", sa.BigInteger(), sa.Identity()))
        op.create_primary_key(op.f("pk_invoice_lines"), "invoice_lines", ["id"])
        op.create_index(op.f("ix_invoice_lines_invoice_id"), "invoice_lines", ["invoice_id"])
        return
    op.create_table(
        "invoice_lines_by_id",
        sa.Column("id", ID, nullable=False),
        sa.Column("invoice_id", ID, nullable=False),
        *_line_columns(),
        _foreign_key(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
    )
    op.execute(
        f"INSERT INTO invoice_lines_by_id ({COLUMNS}) SELECT {COLUMNS} FROM invoice_lines "
        "ORDER BY invoice_id, position"
    )
    op.drop_table("invoice_lines")
    op.rename_table("invoice_lines_by_id", "invoice_lines")
    op.create_index(op.f("ix_invoice_lines_invoice_id"), "invoice_lines", ["invoice_id"])
