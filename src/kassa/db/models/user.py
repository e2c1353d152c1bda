from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from kassa.core.vocabulary import Role
from kassa.db.base import Base, BigIntId, UTCDateTime, one_of


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(one_of("role", Role), name="role"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    # argon2 hash; null for users that only ever use API tokens.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
