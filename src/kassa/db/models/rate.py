from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kassa.db.base import Base, BigIntId, UTCDateTime

# ``effective_from`` of a rate that has always been effective. Stored rather than NULL so that
# the unique key (tariff, prefix, effective_from) holds for it too: both databases let NULLs
# repeat under a unique key. The API shows it as null.
ALWAYS_EFFECTIVE = datetime(1970, 1, 1, tzinfo=UTC)


class Rate(Base):
    """The price of the destinations that start with ``prefix``, from ``effective_from`` on.

    The cost of ``n`` units is in docs/architecture.md (rating); prices are micros per ``per``
    units."""

    __tablename__ = "rates"
    __table_args__ = (
        # Also the index of the rate lookup: the longest of a destination's prefixes.
        UniqueConstraint("tariff_id", "prefix", "effective_from", name="uq_rates_tariff_id"),
        CheckConstraint("price_micros >= 0", name="price"),
        CheckConstraint("per >= 1", name="per"),
        CheckConstraint("first_interval >= 1", name="first_interval"),
        CheckConstraint("next_interval >= 1", name="next_interval"),
        CheckConstraint("connect_fee_micros >= 0", name="connect_fee"),
        CheckConstraint("free_units >= 0", name="free_units"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    tariff_id: Mapped[int] = mapped_column(ForeignKey("tariffs.id"))
    # Digits only; "" matches every destination no longer prefix does.
    prefix: Mapped[str] = mapped_column(String(32))
    price_micros: Mapped[int] = mapped_column(BigInteger)
    per: Mapped[int] = mapped_column(BigInteger)
    first_interval: Mapped[int] = mapped_column(BigInteger)
    next_interval: Mapped[int] = mapped_column(BigInteger)
    connect_fee_micros: Mapped[int] = mapped_column(BigInteger)
    free_units: Mapped[int] = mapped_column(BigInteger)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    description: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
