from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kassa.core.vocabulary import ThrottleScope
from kassa.db.base import Base, UTCDateTime, one_of


class LoginThrottle(Base):
    """Recent failed sign-ins of one username or one client address, and its lock.

    Kept in the database so that every server process counts the same failures."""

    __tablename__ = "login_throttles"
    __table_args__ = (CheckConstraint(one_of("scope", ThrottleScope), name="scope"),)

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    # The username as typed (existing or not), or the client's address.
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # How many times it was locked since the failures began; each lock lasts twice the last.
    lockouts: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
