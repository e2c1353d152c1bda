"""Users, API tokens and the audit log (admins only)."""

from __future__ import annotations

from datetime import datetime

from fastapi import Depends, Query, Request, Response

from kassa.api.deps import current_actor, database, require
from kassa.api.routing import api_router
from kassa.auth import audit, password_flows, service, throttle
from kassa.auth.actor import Actor, Permission
from kassa.auth.password_flows import Passwords
from kassa.auth.schemas import (
    AuditEntryOut,
    AuditPage,
    LockoutOut,
    PasswordIn,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPage,
    UserPatch,
)
from kassa.core.errors import NotFound
from kassa.core.ids import Id
from kassa.core.vocabulary import ThrottleScope
from kassa.db.engine import Database, DbSession
from kassa.db.models import ApiToken, User

router = api_router(tags=["users"])
Admin = Depends(require(Permission.MANAGE_USERS))
Signed = Depends(current_actor)


async def passwords(request: Request) -> Passwords:
    work: Passwords = request.app.state.passwords
    return work


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _user(user: User, locked_until: datetime | None = None) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        role=user.role,
        active=user.active,
        created_at=user.created_at,
        locked_until=locked_until,
    )


def _user_now(session: DbSession, user: User) -> UserOut:
    return _user(user, throttle.locked_until(session, [user.username]).get(user.username))


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
        rows, next_cursor = service.page_users(session, limit=limit, cursor=cursor)
        locked = throttle.locked_until(session, [u.username for u in rows])
        items = [_user(u, locked.get(u.username)) for u in rows]
        return UserPage(items=items, next_cursor=next_cursor)


@router.post("/users", response_model=UserOut, status_code=201)
async def create_user(
    body: UserIn, actor: Actor = Admin, work: Passwords = Depends(passwords)
) -> UserOut:
    user = await password_flows.create_user(
        work, actor, username=body.username, role=body.role, password=body.password
    )
    return _user(user)


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: Id, _: Actor = Admin, db: Database = Depends(database)) -> UserOut:
    with db.reading() as session:
        return _user_now(session, service.get_user(session, user_id))


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(
    user_id: Id, body: UserPatch, actor: Actor = Admin, db: Database = Depends(database)
) -> UserOut:
    """Disable a user (``"active": false``) or enable them again. Disabling ends every web
    session of the user and refuses their API tokens at once; nothing is deleted."""
    with db.transaction() as session:
        user = service.get_user(session, user_id)
        if body.active is not None:
            user = service.set_active(session, actor, user_id, body.active)
        return _user_now(session, user)


@router.post(
    "/users/{user_id}/password",
    response_model=UserOut,
    responses={
        403: {"description": "Only an admin sets another user's password"},
        429: {"description": "Too many failed sign-ins: `Retry-After` says when to try again"},
    },
)
async def set_password(
    user_id: Id,
    body: PasswordIn,
    request: Request,
    actor: Actor = Signed,
    work: Passwords = Depends(passwords),
) -> UserOut:
    """Change your own password (give ``current_password``) or, as an admin, reset another
    user's. Every web session of the user ends. A wrong current password counts as a failed
    sign-in: enough of them lock the user (429 with Retry-After)."""
    user, _ = await password_flows.change_password(
        work,
        actor,
        user_id,
        password=body.password,
        current_password=body.current_password,
        address=_address(request),
    )
    return _user(user)


@router.post("/users/{user_id}/unlock", response_model=UserOut)
def unlock_user(user_id: Id, actor: Actor = Admin, db: Database = Depends(database)) -> UserOut:
    """Lift the lock failed sign-ins put on this user, and forget those failures."""
    with db.transaction() as session:
        user = service.get_user(session, user_id)
        throttle.lift(session, actor, ThrottleScope.USER, user.username)
        return _user(user)


@router.get("/login-lockouts", response_model=list[LockoutOut])
def list_lockouts(_: Actor = Admin, db: Database = Depends(database)) -> list[LockoutOut]:
    """Usernames and client addresses that failed sign-ins have locked, longest lock first."""
    with db.reading() as session:
        return [
            LockoutOut(
                scope=lock.scope,
                key=lock.key,
                failures=lock.failures,
                locked_until=lock.locked_until,
            )
            for lock in throttle.lockouts(session)
        ]


@router.delete("/login-lockouts/{scope}/{key:path}", status_code=204)
def lift_lockout(
    scope: ThrottleScope,
    key: str,
    actor: Actor = Admin,
    db: Database = Depends(database),
) -> Response:
    """Lift a lock (of a username as typed, or of a client address) and forget its failures."""
    with db.transaction() as session:
        if not throttle.lift(session, actor, scope, key):
            raise NotFound(
                f"no failed sign-ins are recorded for {scope} '{key}'", code="lockout_not_found"
            )
    return Response(status_code=204)


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
        return [_token(r) for r in service.list_tokens(session, user_id=user_id)]


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
        rows, next_cursor = audit.page_entries(
            session, entity_type=entity_type, entity_id=entity_id, limit=limit, cursor=cursor
        )
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
