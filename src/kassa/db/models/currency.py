from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kassa.db.base import Base


class Currency(Base):
    """An ISO 4217 currency; ``exponent`` is null for units that are not money (XAU, XDR...)."""

    __tablename__ = "currencies"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    numeric_code: Mapped[str | None] = mapped_column(String(3))
    exponent: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
