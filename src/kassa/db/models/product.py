from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kassa.db.base import Base, BigIntId, UTCDateTime


class Product(Base):
    """What an account is sold: for each service, the tariff that rates it."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # kassa.core.names.name_key of the name, unique: "Über" and "über" are one name.
    name_key: Mapped[str] = mapped_column(String(200), unique=True, index=True)
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
