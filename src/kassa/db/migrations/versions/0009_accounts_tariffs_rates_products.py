"""accounts, tariffs, rates and products; rated authorizations and usage

Authorizations and ledger entries gain the columns of rated usage (null on money ones), and
an authorization's amount may be zero: a grant that only free units cover holds nothing.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 04:07:57.483176
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["currency"], ["currencies.code"], name=op.f("fk_products_currency_currencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_name_key"), ["name_key"], unique=True)

    op.create_table(
        "tariffs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "unit IN ('second', 'byte', 'message', 'unit')", name=op.f("ck_tariffs_unit")
        ),
        sa.ForeignKeyConstraint(
            ["currency"], ["currencies.code"], name=op.f("fk_tariffs_currency_currencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariffs")),
    )
    with op.batch_alter_table("tariffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tariffs_name_key"), ["name_key"], unique=True)

    op.create_table(
        "product_ratings",
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column(
            "tariff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_ratings_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tariff_id"], ["tariffs.id"], name=op.f("fk_product_ratings_tariff_id_tariffs")
        ),
        sa.PrimaryKeyConstraint("product_id", "service", name=op.f("pk_product_ratings")),
    )
    with op.batch_alter_table("product_ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_ratings_tariff_id"), ["tariff_id"], unique=False
        )

    op.create_table(
        "rates",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "tariff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("price_micros", sa.BigInteger(), nullable=False),
        sa.Column("per", sa.BigInteger(), nullable=False),
        sa.Column("first_interval", sa.BigInteger(), nullable=False),
        sa.Column("next_interval", sa.BigInteger(), nullable=False),
        sa.Column("connect_fee_micros", sa.BigInteger(), nullable=False),
        sa.Column("free_units", sa.BigInteger(), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("connect_fee_micros >= 0", name=op.f("ck_rates_connect_fee")),
        sa.CheckConstraint("first_interval >= 1", name=op.f("ck_rates_first_interval")),
        sa.CheckConstraint("free_units >= 0", name=op.f("ck_rates_free_units")),
        sa.CheckConstraint("next_interval >= 1", name=op.f("ck_rates_next_interval")),
        sa.CheckConstraint("per >= 1", name=op.f("ck_rates_per")),
        sa.CheckConstraint("price_micros >= 0", name=op.f("ck_rates_price")),
        sa.ForeignKeyConstraint(
            ["tariff_id"], ["tariffs.id"], name=op.f("fk_rates_tariff_id_tariffs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rates")),
        sa.UniqueConstraint("tariff_id", "prefix", "effective_from", name="uq_rates_tariff_id"),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("identifier", sa.String(length=128), nullable=False),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("max_sessions", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'blocked', 'closed')", name=op.f("ck_accounts_status")
        ),
        sa.CheckConstraint(
            "max_sessions IS NULL OR max_sessions >= 1", name=op.f("ck_accounts_max_sessions")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_accounts_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_accounts_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("identifier", name=op.f("uq_accounts_identifier")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index("ix_accounts_customer_id_id", ["customer_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_product_id"), ["product_id"], unique=False)

    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("destination", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("unit", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("granted_units", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("committed_units", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("tariff_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("rate_prefix", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("rate_description", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("price_micros", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("per", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("first_interval", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("next_interval", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("connect_fee_micros", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("free_units", sa.BigInteger(), nullable=True))
        batch_op.create_index(
            "ix_authorizations_account_id_status", ["account_id", "status"], unique=False
        )
        batch_op.drop_constraint(op.f("ck_authorizations_amount"), type_="check")
        batch_op.create_check_constraint("amount", "amount_micros >= 0")

    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("units", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("unit", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("destination_prefix", sa.String(length=32), nullable=True))

    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("units", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("unit", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("destination", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("rate_prefix", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("rate_description", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_column("rate_description")
        batch_op.drop_column("rate_prefix")
        batch_op.drop_column("destination")
        batch_op.drop_column("unit")
        batch_op.drop_column("units")
        batch_op.drop_column("account_id")

    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.drop_column("destination_prefix")
        batch_op.drop_column("unit")
        batch_op.drop_column("units")

    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_authorizations_amount"), type_="check")
        batch_op.create_check_constraint("amount", "amount_micros > 0")
        batch_op.drop_index("ix_authorizations_account_id_status")
        batch_op.drop_column("free_units")
        batch_op.drop_column("connect_fee_micros")
        batch_op.drop_column("next_interval")
        batch_op.drop_column("first_interval")
        batch_op.drop_column("per")
        batch_op.drop_column("price_micros")
        batch_op.drop_column("rate_description")
        batch_op.drop_column("rate_prefix")
        batch_op.drop_column("tariff_id")
        batch_op.drop_column("committed_units")
        batch_op.drop_column("granted_units")
        batch_op.drop_column("unit")
        batch_op.drop_column("destination")
        batch_op.drop_column("account_id")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_product_id"))
        batch_op.drop_index("ix_accounts_customer_id_id")

    op.drop_table("accounts")
    op.drop_table("rates")
    with op.batch_alter_table("product_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_ratings_tariff_id"))

    op.drop_table("product_ratings")
    with op.batch_alter_table("tariffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tariffs_name_key"))

    op.drop_table("tariffs")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_name_key"))

    op.drop_table("products")
