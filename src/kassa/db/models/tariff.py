from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kassa.core.vocabulary import RatingUnit
from kassa.db.base import Base, BigIntId, UTCDateTime, one_of


class Tariff(Base):
    """The prices of one service in one currency: a set of rates matched by prefix."""

    __tablename__ = "tariffs"
    __table_args__ = (CheckConstraint(one_of("unit", RatingUnit), name="unit"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # kassa.core.names.name_key of the name, unique: "Über" and "über" are one name.
    name_key: Mapped[str] = mapped_column(String(200), unique=True, index=True)
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    service: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
