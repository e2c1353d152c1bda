"""Business models: the kind of service sold, and the services an authorization may name."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.core.errors import Conflict, FieldErrors, NotFound
from kassa.core.names import MAX_KEY_LENGTH, clean_name, key_too_long, name_key
from kassa.db.models import BusinessModel, Customer
from kassa.db.pagination import paginate
from kassa.db.unique import flush_or_conflict

SERVICE_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

SEEDED_MODELS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Cloud PBX",
        "Hosted IP PBX for businesses: extensions, numbers, calls.",
        ("voice", "messaging", "video", "numbers"),
    ),
    ("SIP trunking", "Voice trunks to a customer's own PBX.", ("voice", "numbers")),
    ("Residential VoIP", "Home phone service over the internet.", ("voice", "messaging")),
    ("Internet access", "Broadband, fibre or wireless internet access.", ("data",)),
    ("Mobile", "Mobile voice, data and messaging.", ("voice", "data", "messaging")),
    ("Prepaid cards", "Calling cards and PIN-based prepaid voice.", ("voice",)),
    (
        "Universal",
        "Any mix of services.",
        ("voice", "data", "messaging", "video", "numbers", "subscription"),
    ),
)


class BusinessModelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=2000)
    services: list[str] = Field(default_factory=list, max_length=50)


class BusinessModelPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    services: list[str] | None = Field(default=None, max_length=50)


def snapshot(model: BusinessModel) -> dict[str, object]:
    return {"name": model.name, "description": model.description, "services": list(model.services)}


def seed_business_models(session: Session) -> int:
    if session.scalar(select(func.count()).select_from(BusinessModel)):
        return 0
    now = utcnow()
    for name, description, services in SEEDED_MODELS:
        session.add(
            BusinessModel(
                name=name,
                name_key=name_key(name),
                description=description,
                services=list(services),
                created_at=now,
                updated_at=now,
            )
        )
    session.flush()
    return len(SEEDED_MODELS)


def _name_taken(name: str) -> Conflict:
    return Conflict(
        f"a business model named '{name}' already exists", code="business_model_name_taken"
    )


def _flush_name(session: Session, name: str) -> None:
    flush_or_conflict(session, _name_taken(name))


def _clean(
    session: Session, name: str | None, services: list[str] | None, exclude_id: int | None
) -> tuple[str | None, list[str] | None]:
    errors = FieldErrors()
    if name is not None:
        name = clean_name(name)
        if not name:
            errors.add("name", "must not be empty")
        elif key_too_long(name):
            errors.add("name", f"is too long: it spells more than {MAX_KEY_LENGTH} letters")
        else:
            clash = select(BusinessModel.id).where(BusinessModel.name_key == name_key(name))
            if exclude_id is not None:
                clash = clash.where(BusinessModel.id != exclude_id)
            if session.scalar(clash) is not None:
                raise _name_taken(name)
    if services is not None:
        seen: list[str] = []
        for i, service in enumerate(services):
            if not SERVICE_RE.match(service):
                errors.add(f"services[{i}]", "use lower-case letters, digits and _ (e.g. voice)")
            elif service in seen:
                errors.add(f"services[{i}]", f"'{service}' is listed twice")
            else:
                seen.append(service)
        services = seen
    errors.raise_if_any()
    return name, services


def create_business_model(session: Session, actor: Actor, data: BusinessModelIn) -> BusinessModel:
    name, services = _clean(session, data.name, data.services, None)
    now = utcnow()
    assert name is not None
    model = BusinessModel(
        name=name,
        name_key=name_key(name),
        description=data.description.strip(),
        services=services or [],
        created_at=now,
        updated_at=now,
    )
    session.add(model)
    _flush_name(session, name)
    audit.record(session, actor, "create", "business_model", model.id, after=snapshot(model))
    return model


def list_business_models(session: Session) -> list[BusinessModel]:
    return list(session.scalars(select(BusinessModel).order_by(BusinessModel.id)))


def page_business_models(
    session: Session, *, limit: int | None, cursor: str | None
) -> tuple[list[BusinessModel], str | None]:
    return paginate(session, select(BusinessModel), BusinessModel.id, limit=limit, cursor=cursor)


def customer_counts(session: Session) -> dict[int, int]:
    """How many customers each business model has (models nobody uses are left out)."""
    rows = session.execute(
        select(Customer.business_model_id, func.count()).group_by(Customer.business_model_id)
    )
    return {model_id: count for model_id, count in rows}


def get_business_model(session: Session, model_id: int) -> BusinessModel:
    model = session.get(BusinessModel, model_id)
    if model is None:
        raise NotFound(f"business model {model_id} does not exist", code="business_model_not_found")
    return model


def update_business_model(
    session: Session, actor: Actor, model_id: int, patch: BusinessModelPatch
) -> BusinessModel:
    model = get_business_model(session, model_id)
    before = snapshot(model)
    name, services = _clean(session, patch.name, patch.services, model.id)
    if name is not None:
        model.name = name
        model.name_key = name_key(name)
    if patch.description is not None:
        model.description = patch.description.strip()
    if services is not None:
        model.services = services
    model.updated_at = utcnow()
    _flush_name(session, model.name)
    audit.record(
        session, actor, "update", "business_model", model.id, before=before, after=snapshot(model)
    )
    return model


def delete_business_model(session: Session, actor: Actor, model_id: int) -> None:
    model = get_business_model(session, model_id)
    in_use = session.scalar(
        select(func.count()).select_from(Customer).where(Customer.business_model_id == model.id)
    )
    if in_use:
        raise Conflict(
            f"business model '{model.name}' is used by {in_use} customer(s)",
            code="business_model_in_use",
        )
    audit.record(session, actor, "delete", "business_model", model.id, before=snapshot(model))
    session.delete(model)
    session.flush()


class BusinessModelOut(BaseModel):
    id: int
    name: str
    description: str
    services: list[str]
    created_at: datetime
    updated_at: datetime


class BusinessModelPage(BaseModel):
    items: list[BusinessModelOut]
    next_cursor: str | None


def business_model_out(model: BusinessModel) -> BusinessModelOut:
    return BusinessModelOut(
        id=model.id,
        name=model.name,
        description=model.description,
        services=list(model.services),
        created_at=model.created_at,
        updated_at=model.updated_at,
    )
