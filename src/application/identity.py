"""Register, log in, refresh, and the caller's own profile."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from application.context import Context
from application.ports import MembershipView, UnitOfWork
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


async def register(ctx: Context, email: str, password: str, name: str) -> User:
    """A new user; AlreadyExists when the e-mail is taken."""
    email = validate_email(email.strip())
    validate_password(password)
    name = validate_name(name)
    password_hash = await ctx.passwords.hash(password)
    async with ctx.uow() as uow:
        user = await uow.users.add(email, name, password_hash)
        await uow.commit()
    return user


async def login(ctx: Context, email: str, password: str) -> TokenPair:
    """Tokens for a correct e-mail and password; the same error and effort for any wrong pair.

    The password hash is checked with no database connection held: argon2 takes tens of milliseconds,
    and a burst of logins must not empty the pool for everyone else."""
    async with ctx.uow() as uow:
        user = await uow.users.by_email(email.strip())
    ok = await ctx.passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok:
        raise Unauthorized("invalid e-mail or password")
    async with ctx.uow() as uow:
        pair = await _issue(ctx, uow, user.id, str(uuid.uuid4()))
        await uow.commit()
    return pair


async def refresh(ctx: Context, refresh_token: str) -> TokenPair:
    """A new pair for an unspent refresh token; a reused one revokes its whole family."""
    now = ctx.clock.now()
    async with ctx.uow() as uow:
        token = await uow.refresh_tokens.by_hash(ctx.secret_hash(refresh_token))
        if token is None or token.revoked_at is not None or token.expires_at <= now:
            raise Unauthorized("the refresh token is invalid or expired")
        if not await uow.refresh_tokens.spend(token.id, now):
            await uow.refresh_tokens.revoke_family(token.family_id, now)
            await uow.commit()
            raise Unauthorized("the refresh token was already used; its sessions are revoked")
        pair = await _issue(ctx, uow, token.user_id, token.family_id)
        await uow.commit()
    return pair


async def _issue(ctx: Context, uow: UnitOfWork, user_id: int, family_id: str) -> TokenPair:
    now = ctx.clock.now()
    access, expires_in = ctx.tokens.issue(user_id, now)
    refresh_token = "rt_" + secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=ctx.policy.refresh_ttl_seconds)
    await uow.refresh_tokens.add(user_id, family_id, ctx.secret_hash(refresh_token), expires_at)
    return TokenPair(access, expires_in, refresh_token)


async def profile(ctx: Context, user_id: int) -> Profile:
    """The user with their organisations and the one requests default to."""
    async with ctx.uow() as uow:
        user = await uow.users.by_id(user_id)
        if user is None:
            raise Unauthorized("the user no longer exists")
        memberships = await uow.memberships.of_user(user_id)
    return Profile(user, default_organisation(user, memberships), memberships)


def default_organisation(user: User, memberships: list[MembershipView]) -> int | None:
    """The stored active organisation while still a member, else the only one, else none."""
    ids = {m.organisation_id for m in memberships}
    if user.active_organisation_id in ids:
        return user.active_organisation_id
    return next(iter(ids)) if len(ids) == 1 else None


async def set_active_organisation(ctx: Context, user_id: int, organisation_id: int) -> None:
    """Store the organisation requests default to; NotFound unless the user is a member."""
    async with ctx.uow() as uow:
        if await uow.memberships.role(organisation_id, user_id) is None:
            raise NotFound("no such organisation")
        await uow.users.set_active_organisation(user_id, organisation_id)
        await uow.commit()
