from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kassa.core.vocabulary import BillingRunStatus
from kassa.db.base import Base, BigIntId, UTCDateTime, one_of


class BillingRun(Base):
    __tablename__ = "billing_runs"
    __table_args__ = (
        CheckConstraint(one_of("status", BillingRunStatus), name="status"),
        Index("ix_billing_runs_lease_expires_at", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    triggered_by: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    periods_closed: Mapped[int] = mapped_column(Integer, default=0)
    invoices_issued: Mapped[int] = mapped_column(Integer, default=0)
    # Progress: the customers due when the run started, and how many it has been through.
    customers_total: Mapped[int | None] = mapped_column(Integer)
    customers_done: Mapped[int] = mapped_column(Integer, default=0)
    # What the collection step did, once it has run.
    invoices_overdue: Mapped[int | None] = mapped_column(Integer)
    customers_suspended: Mapped[int | None] = mapped_column(Integer)
    # While running, the run renews this with every transaction; once it has passed, the run
    # is taken for dead (interrupted). Cleared when the run ends.
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
