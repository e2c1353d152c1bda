"""Who is acting, and what each role may do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kassa.core.errors import Forbidden
from kassa.core.vocabulary import Role


class Permission(StrEnum):
    READ = "read"
    MANAGE_CUSTOMERS = "manage_customers"
    MOVE_MONEY = "move_money"
    AUTHORIZE = "authorize"
    CONFIGURE = "configure"
    # Tariffs, their rates and products: the prices staff keep up to date day to day.
    MANAGE_RATING = "manage_rating"
    MANAGE_USERS = "manage_users"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.OPERATOR: frozenset(
        {
            Permission.READ,
            Permission.MANAGE_CUSTOMERS,
            Permission.MOVE_MONEY,
            Permission.AUTHORIZE,
            Permission.MANAGE_RATING,
        }
    ),
    Role.VIEWER: frozenset({Permission.READ}),
    # The operator's network: real-time authorization and usage, nothing else.
    Role.SERVICE: frozenset({Permission.AUTHORIZE}),
}


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(
                f"role '{self.role.value}' may not do this (needs '{permission.value}')",
                code="forbidden",
            )


SYSTEM = Actor(user_id=None, username="system", role=Role.ADMIN)
