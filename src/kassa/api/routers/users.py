"""Users, API tokens and the audit log (admins only)."""

from __future__ import annotations

from fastapi import Depends, Query
from sqlalchemy import select

from kassa.api.deps import database, require
from kassa.api.routing import api_router
from kassa.auth import service
from kassa.auth.actor import Actor, Permission
from kassa.auth.schemas import (
    AuditEntryOut,
    AuditPage,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPage,
)
from kassa.core.ids import Id
from kassa.db.engine import Database
from kassa.db.models import ApiToken, AuditLog, User
from kassa.db.pagination import paginate

router = api_router(tags=["users"])
Admin = Depends(require(Permission.MANAGE_USERS))


def _user(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        role=user.role,
        active=user.active,
        created_at=user.created_at,
    )


def _token(record: ApiToken, token: str | None = None) -> TokenOut:
    return TokenOut(
        id=record.id,
        user_id=record.user_id,
        name=record.name,
        prefix=record.prefix,
        created_at=record.created_at,
        revoked_at=record.revoked_at,
        token=token,
    )


@router.get("/users", response_model=UserPage)
def list_users(
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Admin,
    db: Database = Depends(database),
) -> UserPage:
    with db.reading() as session:
        rows, next_cursor = paginate(session, select(User), User.id, limit=limit, cursor=cursor)
        return UserPage(items=[_user(u) for u in rows], next_cursor=next_cursor)


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserIn, actor: Actor = Admin, db: Database = Depends(database)) -> UserOut:
    with db.transaction() as session:
        user = service.create_user(
            session, actor, username=body.username, role=body.role, password=body.password
        )
        return _user(user)


@router.post("/users/{user_id}/tokens", response_model=TokenOut, status_code=201)
def create_token(
    user_id: Id, body: TokenIn, actor: Actor = Admin, db: Database = Depends(database)
) -> TokenOut:
    with db.transaction() as session:
        issued = service.create_token(
            session, actor, service.get_user(session, user_id), name=body.name
        )
        return _token(issued.record, issued.token)


@router.get("/users/{user_id}/tokens", response_model=list[TokenOut])
def list_tokens(user_id: Id, _: Actor = Admin, db: Database = Depends(database)) -> list[TokenOut]:
    with db.reading() as session:
        service.get_user(session, user_id)
        rows = session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
        )
        return [_token(r) for r in rows]


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: Id, actor: Actor = Admin, db: Database = Depends(database)) -> TokenOut:
    with db.transaction() as session:
        return _token(service.revoke_token(session, actor, token_id))


@router.get("/audit-log", response_model=AuditPage, tags=["audit"])
def audit_log(
    entity_type: str | None = Query(default=None),
    entity_id: str | None = Query(default=None),
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Admin,
    db: Database = Depends(database),
) -> AuditPage:
    with db.reading() as session:
        stmt = select(AuditLog)
        if entity_type:
            stmt = stmt.where(AuditLog.entity_type == entity_type)
        if entity_id:
            stmt = stmt.where(AuditLog.entity_id == entity_id)
        rows, next_cursor = paginate(session, stmt, AuditLog.id, limit=limit, cursor=cursor)
        items = [
            AuditEntryOut(
                id=r.id,
                user_id=r.user_id,
                action=r.action,
                entity_type=r.entity_type,
                entity_id=r.entity_id,
                before=r.before,
                after=r.after,
                created_at=r.created_at,
            )
            for r in rows
        ]
        return AuditPage(items=items, next_cursor=next_cursor)
