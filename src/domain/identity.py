"""Users, memberships, API keys and refresh tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from domain.access import Role
from domain.errors import InvalidInput

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def validate_email(email: str, field_name: str = "email") -> str:
    """A plausible address of at most 254 characters."""
    if len(email) > 254 or not EMAIL.match(email):
        raise InvalidInput("a valid e-mail address", field_name)
    return email


def validate_password(password: str) -> str:
    """10 to 128 characters."""
    if not 10 <= len(password) <= 128:
        raise InvalidInput("a password of 10 to 128 characters", "password")
    return password


def validate_name(name: str, field: str = "name", longest: int = 200) -> str:
    """A non-blank name of bounded length."""
    if not name.strip() or len(name) > longest:
        raise InvalidInput(f"1 to {longest} characters", field)
    return name.strip()


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    password_hash: str
    active_organisation_id: int | None = None


@dataclass(frozen=True)
class Membership:
    organisation_id: int
    user_id: int
    role: Role


@dataclass(frozen=True)
class ApiKey:
    id: int
    organisation_id: int
    created_by_user_id: int
    name: str
    prefix: str
    scopes: tuple[str, ...]
    expires_at: datetime | None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    created_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True)
class RefreshToken:
    id: int
    user_id: int
    family_id: str
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class Caller:
    """Who is asking, in which organisation, with which role; an API key also narrows by scopes."""

    user_id: int
    organisation_id: int | None = None
    role: Role | None = None
    api_key_id: int | None = None
    scopes: tuple[str, ...] | None = None

    @property
    def is_api_key(self) -> bool:
        return self.api_key_id is not None
