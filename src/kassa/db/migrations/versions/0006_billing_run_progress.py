"""billing runs: progress, collection counts, a lease, and the status interrupted

A run renews its lease with every transaction; a run whose lease has lapsed died on the way
and is marked ``interrupted``. Runs still ``running`` when this migration runs get a lease
until six hours after their start, the rule that took them for dead before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES_BEFORE = "status IN ('running', 'finished', 'failed')"
STATUSES = "status IN ('running', 'finished', 'failed', 'interrupted')"


def upgrade() -> None:
    with op.batch_alter_table("billing_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customers_total", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("customers_done", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("invoices_overdue", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("customers_suspended", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.drop_constraint(op.f("ck_billing_runs_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_billing_runs_status"), STATUSES)
        batch_op.create_index(
            "ix_billing_runs_lease_expires_at", ["lease_expires_at"], unique=False
        )
    with op.batch_alter_table("billing_runs", schema=None) as batch_op:
        batch_op.alter_column("customers_done", server_default=None)
    runs = sa.table(
        "billing_runs",
        sa.column("id", sa.BigInteger()),
        sa.column("status", sa.String()),
        sa.column("started_at", sa.DateTime(timezone=True)),
        sa.column("lease_expires_at", sa.DateTime(timezone=True)),
    )
    running = op.get_bind().execute(
        sa.select(runs.c.id, runs.c.started_at).where(runs.c.status == "running")
    )
    for run_id, started_at in running.all():
        op.execute(
            runs.update()
            .where(runs.c.id == run_id)
            .values(lease_expires_at=started_at + timedelta(hours=6))
        )


def downgrade() -> None:
    op.execute(
        "UPDATE billing_runs SET status = 'failed', error = 'did not finish' "
        "WHERE status = 'interrupted'"
    )
    with op.batch_alter_table("billing_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_billing_runs_lease_expires_at")
        batch_op.drop_constraint(op.f("ck_billing_runs_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_billing_runs_status"), STATUSES_BEFORE)
        batch_op.drop_column("lease_expires_at")
        batch_op.drop_column("customers_suspended")
        batch_op.drop_column("invoices_overdue")
        batch_op.drop_column("customers_done")
        batch_op.drop_column("customers_total")
