"""API keys: shown once, stored as a hash, bound to one organisation, never above their creator."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from application.access import no_api_keys
from application.ports import Clock, Page, PageRequest, SecretHasher, UnitOfWorkFactory
from domain.access import SCOPE_ROLE, Role
from domain.access import validate_scopes as checked_scopes
from domain.errors import Forbidden, InvalidInput, NotFound, OrganisationRequired
from domain.identity import ApiKey, Caller, validate_name

KEY_PREFIX = "bk_"


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    key: str


class ApiKeyAdmin:
    """API keys of an organisation: made, listed and revoked by its admins; the secret shown once."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, secret_hash: SecretHasher) -> None:
        self.uow, self.clock, self.secret_hash = uow, clock, secret_hash

    async def _admin_of(self, caller: Caller, organisation_id: int) -> Role:
        no_api_keys(caller)
        async with self.uow() as uow:
            role = await uow.memberships.role(organisation_id, caller.user_id)
        if role is None:
            raise NotFound("no such organisation")
        if not role.at_least(Role.ADMIN):
            raise Forbidden("managing API keys needs the admin role or higher")
        return role

    async def create_api_key(
        self,
        caller: Caller,
        organisation_id: int,
        name: str,
        scopes: list[str],
        expires_at: datetime | None,
    ) -> IssuedKey:
        """A new key for the organisation; the secret is returned here and never again."""
        role = await self._admin_of(caller, organisation_id)
        name = validate_name(name)
        granted = checked_scopes(scopes)
        beyond = [s for s in granted if not role.at_least(SCOPE_ROLE[s])]
        if beyond:
            raise Forbidden(f"your role cannot grant {', '.join(beyond)}")
        if expires_at is not None and expires_at <= self.clock.now():
            raise InvalidInput("expiresAt must be in the future", "expiresAt")
        prefix = secrets.token_hex(4)
        key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        async with self.uow() as uow:
            api_key = await uow.api_keys.add(
                organisation_id, caller.user_id, name, prefix, self.secret_hash(key), granted, expires_at
            )
            await uow.commit()
        return IssuedKey(api_key, key)

    async def list_api_keys(self, caller: Caller, page: PageRequest) -> Page[ApiKey]:
        organisation_id = self._active(caller)
        await self._admin_of(caller, organisation_id)
        async with self.uow() as uow:
            return await uow.api_keys.page(organisation_id, page)

    async def revoke_api_key(self, caller: Caller, key_id: int) -> None:
        organisation_id = self._active(caller)
        await self._admin_of(caller, organisation_id)
        async with self.uow() as uow:
            if not await uow.api_keys.revoke(organisation_id, key_id, self.clock.now()):
                raise NotFound("no such API key")
            await uow.commit()

    @staticmethod
    def _active(caller: Caller) -> int:
        no_api_keys(caller)
        if caller.organisation_id is None:
            raise OrganisationRequired("name the organisation with X-Organisation-Id")
        return caller.organisation_id
