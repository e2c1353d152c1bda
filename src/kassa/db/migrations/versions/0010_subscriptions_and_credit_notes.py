"""subscription plans, subscriptions and their fees; credit notes

Ledger entries gain the type ``subscription``; customer classes two options (suspend a prepaid
customer whose fees its funds do not cover, skip idle periods' invoices); a suspended customer
keeps why it is suspended.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 07:31:25.019659
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTRY_TYPES = (
    "'payment', 'refund', 'manual_charge', 'manual_credit', 'promotional_credit', 'usage', 'tax'"
)


def upgrade() -> None:
    op.create_table(
        "subscription_plans",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("periodic_fee_micros", sa.BigInteger(), nullable=False),
        sa.Column("activation_fee_micros", sa.BigInteger(), nullable=False),
        sa.Column("charged", sa.String(length=16), nullable=False),
        sa.Column("prorate", sa.Boolean(), nullable=False),
        sa.Column("minimum_periods", sa.Integer(), nullable=False),
        sa.Column("cancellation_fee_micros", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "charged IN ('in_advance', 'in_arrears')", name=op.f("ck_subscription_plans_charged")
        ),
        sa.CheckConstraint(
            "activation_fee_micros >= 0", name=op.f("ck_subscription_plans_activation_fee")
        ),
        sa.CheckConstraint(
            "cancellation_fee_micros >= 0", name=op.f("ck_subscription_plans_cancellation_fee")
        ),
        sa.CheckConstraint(
            "minimum_periods >= 0", name=op.f("ck_subscription_plans_minimum_periods")
        ),
        sa.CheckConstraint(
            "periodic_fee_micros >= 0", name=op.f("ck_subscription_plans_periodic_fee")
        ),
        sa.ForeignKeyConstraint(
            ["currency"],
            ["currencies.code"],
            name=op.f("fk_subscription_plans_currency_currencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_plans")),
    )
    with op.batch_alter_table("subscription_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscription_plans_name_key"), ["name_key"], unique=True
        )

    op.create_table(
        "subscription_plan_fees",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("plan_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("periodic_fee_micros", sa.BigInteger(), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "periodic_fee_micros >= 0", name=op.f("ck_subscription_plan_fees_periodic_fee")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["subscription_plans.id"],
            name=op.f("fk_subscription_plan_fees_plan_id_subscription_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_plan_fees")),
        sa.UniqueConstraint("plan_id", "effective_from", name="uq_subscription_plan_fees_plan_id"),
    )
    op.create_table(
        "credit_notes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column(
            "invoice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("total_micros", sa.BigInteger(), nullable=False),
        sa.Column("taxes", sa.JSON(), nullable=False),
        sa.Column("ledger_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("total_micros > 0", name=op.f("ck_credit_notes_total")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_credit_notes_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_credit_notes_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_credit_notes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint("number", name=op.f("uq_credit_notes_number")),
    )
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.create_index("ix_credit_notes_customer_id_id", ["customer_id", "id"], unique=False)
        batch_op.create_index("ix_credit_notes_invoice_id", ["invoice_id"], unique=False)

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("plan_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("commitment_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("charged_through", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_charge_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("activation_charged", sa.Boolean(), nullable=False),
        sa.Column("cancellation_charged", sa.Boolean(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ends_at IS NULL OR ends_at >= starts_at",
            name=op.f("ck_subscriptions_ends_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_subscriptions_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_subscriptions_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["subscription_plans.id"],
            name=op.f("fk_subscriptions_plan_id_subscription_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index("ix_subscriptions_account_id", ["account_id"], unique=False)
        batch_op.create_index(
            "ix_subscriptions_customer_id_id", ["customer_id", "id"], unique=False
        )
        batch_op.create_index("ix_subscriptions_next_charge_at", ["next_charge_at"], unique=False)
        batch_op.create_index("ix_subscriptions_plan_id", ["plan_id"], unique=False)

    op.create_table(
        "credit_note_documents",
        sa.Column(
            "credit_note_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["credit_notes.id"],
            name=op.f("fk_credit_note_documents_credit_note_id_credit_notes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("credit_note_id", name=op.f("pk_credit_note_documents")),
    )
    op.create_table(
        "credit_note_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "credit_note_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_micros > 0", name=op.f("ck_credit_note_lines_amount")),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["credit_notes.id"],
            name=op.f("fk_credit_note_lines_credit_note_id_credit_notes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_note_lines")),
    )
    with op.batch_alter_table("credit_note_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credit_note_lines_credit_note_id", ["credit_note_id", "position"], unique=False
        )

    op.create_table(
        "subscription_fees",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "subscription_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("full_fee_micros", sa.BigInteger(), nullable=False),
        sa.Column("ledger_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('periodic', 'activation', 'cancellation', 'unused')",
            name=op.f("ck_subscription_fees_kind"),
        ),
        sa.CheckConstraint("amount_micros >= 0", name=op.f("ck_subscription_fees_amount")),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_subscription_fees_period")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_subscription_fees_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_fees_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_fees")),
        sa.UniqueConstraint(
            "subscription_id", "kind", "period_start", name="uq_subscription_fees_period"
        ),
    )
    with op.batch_alter_table("subscription_fees", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subscription_fees_customer_id_id", ["customer_id", "id"], unique=False
        )

    op.add_column(
        "customer_classes",
        sa.Column("suspend_when_fees_unpaid", sa.Boolean(), server_default="0", nullable=False),
    )
    op.add_column(
        "customer_classes",
        sa.Column("skip_idle_invoices", sa.Boolean(), server_default="0", nullable=False),
    )

    # A plain ALTER, not a batch copy: copying customers would drop its search triggers.
    op.add_column("customers", sa.Column("suspended_for", sa.String(length=24), nullable=True))

    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ledger_entries_type"), type_="check")
        batch_op.create_check_constraint("type", f"type IN ({ENTRY_TYPES}, 'subscription')")


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ledger_entries_type"), type_="check")
        batch_op.create_check_constraint("type", f"type IN ({ENTRY_TYPES})")

    op.drop_column("customers", "suspended_for")

    # Plain ALTERs: a batch copy of a table others refer to fails their foreign keys on SQLite.
    op.drop_column("customer_classes", "skip_idle_invoices")
    op.drop_column("customer_classes", "suspend_when_fees_unpaid")

    with op.batch_alter_table("subscription_fees", schema=None) as batch_op:
        batch_op.drop_index("ix_subscription_fees_customer_id_id")

    op.drop_table("subscription_fees")
    with op.batch_alter_table("credit_note_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_note_lines_credit_note_id")

    op.drop_table("credit_note_lines")
    op.drop_table("credit_note_documents")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_subscriptions_plan_id")
        batch_op.drop_index("ix_subscriptions_next_charge_at")
        batch_op.drop_index("ix_subscriptions_customer_id_id")
        batch_op.drop_index("ix_subscriptions_account_id")

    op.drop_table("subscriptions")
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_notes_invoice_id")
        batch_op.drop_index("ix_credit_notes_customer_id_id")

    op.drop_table("credit_notes")
    op.drop_table("subscription_plan_fees")
    with op.batch_alter_table("subscription_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_plans_name_key"))

    op.drop_table("subscription_plans")
