from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kassa.db.base import Base, BigIntId, UTCDateTime
from kassa.db.models.customer_class_field import CustomerClassField


class CustomerClass(Base):
    __tablename__ = "customer_classes"
    __table_args__ = (
        CheckConstraint("grace_period_days >= 0", name="grace_period_days"),
        CheckConstraint(
            "suspend_after_days IS NULL OR suspend_after_days >= 0", name="suspend_after_days"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # kassa.core.names.name_key of the name, unique: "Über" and "über" are one name.
    name_key: Mapped[str] = mapped_column(String(200), unique=True, index=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str | None] = mapped_column(ForeignKey("currencies.code"))
    grace_period_days: Mapped[int] = mapped_column(Integer, default=0)
    suspend_after_days: Mapped[int | None] = mapped_column(Integer)
    invoice_template: Mapped[str] = mapped_column(String(100), default="standard")
    tax_inclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    # [{"name": "VAT", "rate": "21"}]: rates as decimal strings, never floats.
    taxes: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    notifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    credit_limit_warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A prepaid customer whose funds do not cover an in-advance fee is suspended until paid.
    suspend_when_fees_unpaid: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="0"
    )
    # A period without a single entry closes without an invoice.
    skip_idle_invoices: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    custom_fields: Mapped[list[CustomerClassField]] = relationship(
        cascade="all, delete-orphan",
        order_by="CustomerClassField.custom_field_id",
        lazy="selectin",
    )
