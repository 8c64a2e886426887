"""Register, log in, refresh, and the caller's own profile."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from application.ports import (
    Clock,
    MembershipView,
    PasswordHasher,
    SecretHasher,
    TokenIssuer,
    UnitOfWork,
    UnitOfWorkFactory,
)
from domain.errors import NotFound, Unauthorized
from domain.identity import User, validate_email, validate_name, validate_password


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str


@dataclass(frozen=True)
class Profile:
    user: User
    active_organisation_id: int | None
    organisations: list[MembershipView]


def default_organisation(user: User, memberships: list[MembershipView]) -> int | None:
    """The stored active organisation while still a member, else the only one, else none."""
    ids = {m.organisation_id for m in memberships}
    if user.active_organisation_id in ids:
        return user.active_organisation_id
    return next(iter(ids)) if len(ids) == 1 else None


class Accounts:
    """People's accounts: registration, login, refreshed tokens, their profile and active organisation."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        passwords: PasswordHasher,
        tokens: TokenIssuer,
        secret_hash: SecretHasher,
        refresh_ttl_seconds: int = 30 * 24 * 3600,
    ) -> None:
        self.uow, self.clock, self.passwords, self.tokens = uow, clock, passwords, tokens
        self.secret_hash, self.refresh_ttl_seconds = secret_hash, refresh_ttl_seconds

    async def register(self, email: str, password: str, name: str) -> User:
        """A new user; AlreadyExists when the e-mail is taken."""
        email = validate_email(email.strip())
        validate_password(password)
        name = validate_name(name)
        password_hash = await self.passwords.hash(password)
        async with self.uow() as uow:
            user = await uow.users.add(email, name, password_hash)
            await uow.commit()
        return user

    async def login(self, email: str, password: str) -> TokenPair:
        """Tokens for a correct e-mail and password; the same error and effort for any wrong pair.

        The password hash is checked with no database connection held: argon2 takes tens of milliseconds,
        and a burst of logins must not empty the pool for everyone else."""
        async with self.uow() as uow:
            user = await uow.users.by_email(email.strip())
        ok = await self.passwords.verify(user.password_hash if user else None, password)
        if user is None or not ok:
            raise Unauthorized("invalid e-mail or password")
        async with self.uow() as uow:
            pair = await self._issue(uow, user.id, str(uuid.uuid4()))
            await uow.commit()
        return pair

    async def refresh(self, refresh_token: str) -> TokenPair:
        """A new pair for an unspent refresh token; a reused one revokes its whole family."""
        now = self.clock.now()
        async with self.uow() as uow:
            token = await uow.refresh_tokens.by_hash(self.secret_hash(refresh_token))
            if token is None or token.revoked_at is not None or token.expires_at <= now:
                raise Unauthorized("the refresh token is invalid or expired")
            if not await uow.refresh_tokens.spend(token.id, now):
                await uow.refresh_tokens.revoke_family(token.family_id, now)
                await uow.commit()
                raise Unauthorized("the refresh token was already used; its sessions are revoked")
            pair = await self._issue(uow, token.user_id, token.family_id)
            await uow.commit()
        return pair

    async def _issue(self, uow: UnitOfWork, user_id: int, family_id: str) -> TokenPair:
        now = self.clock.now()
        access, expires_in = self.tokens.issue(user_id, now)
        refresh_token = "rt_" + secrets.token_urlsafe(32)
        expires_at = now + timedelta(seconds=self.refresh_ttl_seconds)
        await uow.refresh_tokens.add(user_id, family_id, self.secret_hash(refresh_token), expires_at)
        return TokenPair(access, expires_in, refresh_token)

    async def profile(self, user_id: int) -> Profile:
        """The user with their organisations and the one requests default to."""
        async with self.uow() as uow:
            user = await uow.users.by_id(user_id)
            if user is None:
                raise Unauthorized("the user no longer exists")
            memberships = await uow.memberships.of_user(user_id)
        return Profile(user, default_organisation(user, memberships), memberships)

    async def set_active_organisation(self, user_id: int, organisation_id: int) -> None:
        """Store the organisation requests default to; NotFound unless the user is a member."""
        async with self.uow() as uow:
            if await uow.memberships.role(organisation_id, user_id) is None:
                raise NotFound("no such organisation")
            await uow.users.set_active_organisation(user_id, organisation_id)
            await uow.commit()
