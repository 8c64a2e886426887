"""Who is calling: a user's access token or an API key, resolved to an organisation and a role."""

from __future__ import annotations

from datetime import timedelta

from application.identity import default_organisation
from application.ports import Clock, SecretHasher, TokenIssuer, UnitOfWorkFactory
from domain.access import Permission, Role, require
from domain.errors import Forbidden, NotFound, OrganisationRequired, Unauthorized
from domain.identity import Caller

# lastUsedAt is written at most once a minute per key: enough to tell live keys from dead ones.
TOUCH_EVERY = timedelta(minutes=1)


class Authenticate:
    """Who is calling: a user's access token or an API key, resolved to an organisation and a role."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, tokens: TokenIssuer, secret_hash: SecretHasher
    ) -> None:
        self.uow, self.clock, self.tokens, self.secret_hash = uow, clock, tokens, secret_hash

    async def by_token(self, token: str, organisation_header: int | None) -> Caller:
        """The user of a valid access token in the active organisation of API.md section 2."""
        user_id = self.tokens.subject(token, self.clock.now())
        async with self.uow() as uow:
            user = await uow.users.by_id(user_id)
            if user is None:
                raise Unauthorized("the user no longer exists")
            memberships = await uow.memberships.of_user(user_id)
        roles = {m.organisation_id: m.role for m in memberships}
        if organisation_header is not None:
            if organisation_header not in roles:
                raise NotFound("no such organisation")
            return Caller(user_id, organisation_header, roles[organisation_header])
        active = default_organisation(user, memberships)
        return Caller(user_id, active, roles.get(active) if active is not None else None)

    async def by_api_key(self, key: str, organisation_header: int | None) -> Caller:
        """The API key's organisation, with its creator's current role narrowed by the key's scopes."""
        now = self.clock.now()
        async with self.uow() as uow:
            api_key = await uow.api_keys.by_hash(self.secret_hash(key))
            if api_key is None or not api_key.usable(now):
                raise Unauthorized("the API key is invalid, expired or revoked")
            role = await uow.memberships.role(api_key.organisation_id, api_key.created_by_user_id)
            if role is None:
                raise Unauthorized("the API key's creator is no longer a member of its organisation")
            if organisation_header is not None and organisation_header != api_key.organisation_id:
                raise NotFound("no such organisation")
            if api_key.last_used_at is None or now - api_key.last_used_at >= TOUCH_EVERY:
                await uow.api_keys.touch(api_key.id, now)
                await uow.commit()
        return Caller(api_key.created_by_user_id, api_key.organisation_id, role, api_key.id, api_key.scopes)


def authorize(caller: Caller, permission: Permission) -> tuple[int, Role]:
    """The active organisation and role when the caller may do this; otherwise the right error."""
    if caller.is_api_key and permission.scope is None:
        raise Forbidden("API keys cannot use this route")
    if caller.organisation_id is None or caller.role is None:
        raise OrganisationRequired("name the organisation with X-Organisation-Id")
    require(permission, caller.role, caller.scopes)
    return caller.organisation_id, caller.role


def no_api_keys(caller: Caller) -> None:
    """Routes about the user's own account and organisations are for people, not keys."""
    if caller.is_api_key:
        raise Forbidden("API keys cannot use this route")
