"""Roles, API-key scopes and what each may do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import Forbidden, InvalidInput


class Role(StrEnum):
    VIEWER = "viewer"
    STAFF = "staff"
    ADMIN = "admin"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANK = {Role.VIEWER: 0, Role.STAFF: 1, Role.ADMIN: 2, Role.OWNER: 3}

SCOPES = frozenset(
    {
        "reservations:read",
        "reservations:write",
        "catalog:read",
        "catalog:write",
        "webhooks:read",
        "webhooks:write",
    }
)
# The least role a key's creator must hold for each scope to take effect.
SCOPE_ROLE = {
    "reservations:read": Role.VIEWER,
    "reservations:write": Role.STAFF,
    "catalog:read": Role.VIEWER,
    "catalog:write": Role.ADMIN,
    "webhooks:read": Role.ADMIN,
    "webhooks:write": Role.ADMIN,
}


@dataclass(frozen=True)
class Permission:
    """What a route needs: a least role, and for API keys the scope that grants it (None: no keys)."""

    role: Role
    scope: str | None = None


def validate_scopes(scopes: list[str]) -> tuple[str, ...]:
    """Known scopes, each once."""
    if not scopes:
        raise InvalidInput("name at least one scope", "scopes")
    unknown = sorted(set(scopes) - SCOPES)
    if unknown:
        raise InvalidInput(f"unknown scopes: {', '.join(unknown)}", "scopes")
    return tuple(sorted(set(scopes)))


def require(permission: Permission, role: Role, key_scopes: tuple[str, ...] | None) -> None:
    """Forbidden unless the member's role (and for an API key its scopes) allow the permission."""
    if key_scopes is not None:
        if permission.scope is None or permission.scope not in key_scopes:
            raise Forbidden("this API key's scopes do not allow that")
        if not role.at_least(SCOPE_ROLE[permission.scope]):
            raise Forbidden("the key's creator no longer has a role that allows that")
    if not role.at_least(permission.role):
        raise Forbidden(f"that needs the {permission.role} role or higher")


# What each area of the API needs.
RESERVATIONS_READ = Permission(Role.VIEWER, "reservations:read")
RESERVATIONS_WRITE = Permission(Role.STAFF, "reservations:write")
REFUNDS = Permission(Role.ADMIN, "reservations:write")  # money back beyond the policy: admins and owners
CATALOG_READ = Permission(Role.VIEWER, "catalog:read")
CATALOG_WRITE = Permission(Role.ADMIN, "catalog:write")
WEBHOOKS_READ = Permission(Role.ADMIN, "webhooks:read")  # endpoints carry where the organisation's data goes
WEBHOOKS_WRITE = Permission(Role.ADMIN, "webhooks:write")
