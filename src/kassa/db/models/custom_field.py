from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kassa.core.vocabulary import FieldType
from kassa.db.base import Base, BigIntId, UTCDateTime, one_of


class CustomField(Base):
    """A field defined once and enabled per customer class. Limits are kept as text and read
    according to the type (a number for ``number``, an ISO date for ``date``...)."""

    __tablename__ = "custom_fields"
    __table_args__ = (CheckConstraint(one_of("type", FieldType), name="type"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    min_length: Mapped[int | None] = mapped_column(Integer)
    max_length: Mapped[int | None] = mapped_column(Integer)
    min_value: Mapped[str | None] = mapped_column(String(64))
    max_value: Mapped[str | None] = mapped_column(String(64))
    options: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    default_value: Mapped[Any] = mapped_column(JSON)
    personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
