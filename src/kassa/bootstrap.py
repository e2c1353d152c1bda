"""First start: schema, reference data, the admin user and the shared session secret.

Safe to run at every start and from several processes at once: each step only adds what is
missing, and the generated secrets are reported once, to the process that created them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kassa.auth.actor import SYSTEM
from kassa.auth.passwords import hash_password
from kassa.auth.service import (
    check_new_user,
    create_token,
    create_user,
    hash_token,
    new_password,
)
from kassa.business_models.service import seed_business_models
from kassa.core.settings import Settings
from kassa.core.vocabulary import Role
from kassa.currencies.service import seed_currencies
from kassa.customer_classes.service import seed_default_class
from kassa.db import migrate, reference_version
from kassa.db.engine import Database
from kassa.db.models import ApiToken, AppSetting, User

SECRET_KEY_SETTING = "session_secret"


@dataclass
class BootstrapReport:
    migrated_from: str | None = None
    migrated_to: str | None = None
    currencies_added: int = 0
    admin_created: bool = False
    admin_password: str | None = None
    admin_token: str | None = None
    notes: list[str] = field(default_factory=list)


def seed_reference_data(session: Session) -> int:
    added = seed_currencies(session)
    seed_business_models(session)
    seed_default_class(session)
    reference_version.ensure(session.connection())
    return added


def ensure_admin(session: Session, settings: Settings, report: BootstrapReport) -> None:
    if session.scalar(select(func.count()).select_from(User)) == 0:
        password = settings.admin_password or new_password()
        check_new_user("admin", Role.ADMIN, password)
        admin = create_user(
            session,
            SYSTEM,
            username="admin",
            role=Role.ADMIN,
            password_hash=hash_password(password),
        )
        token = create_token(session, SYSTEM, admin, name="bootstrap", token=settings.admin_token)
        report.admin_created = True
        if not settings.admin_password:
            report.admin_password = password
        if not settings.admin_token:
            report.admin_token = token.token
        return
    if settings.admin_token:
        known = session.scalar(
            select(ApiToken.id).where(ApiToken.token_hash == hash_token(settings.admin_token))
        )
        existing = session.scalar(select(User).where(User.username == "admin"))
        if known is None and existing is not None:
            create_token(
                session, SYSTEM, existing, name="KASSA_ADMIN_TOKEN", token=settings.admin_token
            )


def session_secret(session: Session, settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    stored = session.get(AppSetting, SECRET_KEY_SETTING)
    if stored is not None:
        return stored.value
    value = secrets.token_urlsafe(48)
    session.add(AppSetting(key=SECRET_KEY_SETTING, value=value))
    session.flush()
    return value


def bootstrap(db: Database, settings: Settings) -> BootstrapReport:
    report = BootstrapReport()
    report.migrated_from = migrate.current_revision(db.engine)
    migrate.upgrade(db.engine)
    report.migrated_to = migrate.current_revision(db.engine)
    for attempt in range(3):
        try:
            with db.transaction() as session:
                report.currencies_added = seed_reference_data(session)
                ensure_admin(session, settings, report)
                session_secret(session, settings)
            break
        except IntegrityError:
            # Another process seeded at the same moment; what it added is what we wanted.
            report.admin_created = False
            report.admin_password = report.admin_token = None
            if attempt == 2:
                raise
    return report
