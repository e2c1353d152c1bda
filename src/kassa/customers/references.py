"""This process's copy of what creating a customer checks against: enabled currencies, customer
classes with their custom fields, business models.

Reading them anew costs five queries (five round trips on PostgreSQL) per customer created.
The copy is valid while the reference version token it was made under is current (see
:mod:`kassa.db.reference_version`), which costs one. Entities in the copy are detached and only
read, never changed or added to a session; lookups that miss fall back to the database, so the
errors a caller sees are the ones the services raise.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.db import reference_version
from kassa.db.models import BusinessModel, Currency, CustomerClass, CustomField


@dataclass(frozen=True)
class References:
    token: str
    currencies: dict[str, Currency] = field(default_factory=dict)
    classes: dict[int, CustomerClass] = field(default_factory=dict)
    default_class_id: int | None = None
    # Per class: its custom fields, each with whether it is mandatory.
    fields: dict[int, list[tuple[CustomField, bool]]] = field(default_factory=dict)
    business_models: frozenset[int] = frozenset()

    def enabled_currency(self, code: str | None) -> Currency | None:
        if not isinstance(code, str):
            return None
        return self.currencies.get(code.strip().upper())

    def customer_class(self, class_id: int | None) -> CustomerClass | None:
        key = self.default_class_id if class_id is None else class_id
        return None if key is None else self.classes.get(key)


# Per engine (one per database and process), the newest copy.
_copies: weakref.WeakKeyDictionary[Any, References] = weakref.WeakKeyDictionary()


def current(session: Session) -> References | None:
    """The copy, made anew if reference data changed since; None if no version is recorded."""
    token = reference_version.current(session)
    if token is None:
        return None
    bind = session.get_bind()
    copy = _copies.get(bind)
    if copy is None or copy.token != token:
        copy = _load(session, token)
        _copies[bind] = copy
    return copy


def _load(session: Session, token: str) -> References:
    # A session of its own on the same connection: what it loads is detached when it closes,
    # and the caller's identity map is left alone.
    with Session(bind=session.connection()) as own:
        currencies = own.scalars(select(Currency).where(Currency.enabled.is_(True))).all()
        classes = own.scalars(select(CustomerClass)).all()
        custom = {f.id: f for f in own.scalars(select(CustomField))}
        models = frozenset(own.scalars(select(BusinessModel.id)))
    return References(
        token=token,
        currencies={c.code: c for c in currencies},
        classes={c.id: c for c in classes},
        default_class_id=next((c.id for c in classes if c.is_default), None),
        fields={
            c.id: [(custom[f.custom_field_id], f.mandatory) for f in c.custom_fields]
            for c in classes
        },
        business_models=models,
    )
