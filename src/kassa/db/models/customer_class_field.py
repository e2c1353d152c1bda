from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from kassa.db.base import Base


class CustomerClassField(Base):
    """A custom field enabled for a class, mandatory or optional."""

    __tablename__ = "customer_class_fields"

    customer_class_id: Mapped[int] = mapped_column(
        ForeignKey("customer_classes.id", ondelete="CASCADE"), primary_key=True
    )
    custom_field_id: Mapped[int] = mapped_column(
        ForeignKey("custom_fields.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
