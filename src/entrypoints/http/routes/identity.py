"""Register, log in, refresh, the caller's profile, and API keys."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import Parameter

from application import identity
from application.access import no_api_keys
from application.ports import PageRequest
from domain.identity import Caller
from entrypoints.composition import UseCases
from entrypoints.http import present
from entrypoints.http.schemas.common import pagination
from entrypoints.http.schemas.identity import (
    ActiveOrganisationBody,
    ApiKeyBody,
    ApiKeyCreatedOut,
    ApiKeyList,
    LoginBody,
    MembershipOut,
    MeOut,
    RefreshBody,
    RegisterBody,
    TokenPairOut,
    UserOut,
)


def _pair(pair: identity.TokenPair) -> TokenPairOut:
    return TokenPairOut(pair.access_token, "Bearer", pair.expires_in, pair.refresh_token)


class AuthController(Controller):
    path = "/api/auth"
    tags = ["identity"]

    @post("/register", status_code=201, opt={"rate_limit": "AUTH_REGISTER"})
    async def register(self, data: RegisterBody, cases: NamedDependency[UseCases]) -> UserOut:
        user = await cases.accounts.register(data.email, data.password, data.name)
        return UserOut(user.id, user.email, user.name)

    @post("/login", status_code=200, opt={"rate_limit": "AUTH_LOGIN"})
    async def login(self, data: LoginBody, cases: NamedDependency[UseCases]) -> TokenPairOut:
        return _pair(await cases.accounts.login(data.email, data.password))

    @post("/refresh", status_code=200)
    async def refresh(self, data: RefreshBody, cases: NamedDependency[UseCases]) -> TokenPairOut:
        return _pair(await cases.accounts.refresh(data.refresh_token))


async def _profile(cases: UseCases, user_id: int) -> MeOut:
    found = await cases.accounts.profile(user_id)
    return MeOut(
        id=found.user.id,
        email=found.user.email,
        name=found.user.name,
        active_organisation_id=found.active_organisation_id,
        organisations=[
            MembershipOut(m.organisation_id, m.slug, m.name, m.role.value) for m in found.organisations
        ],
    )


class UsersController(Controller):
    path = "/api/users/me"
    tags = ["identity"]

    @get("/")
    async def me(self, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]) -> MeOut:
        no_api_keys(caller)
        return await _profile(cases, caller.user_id)

    @put("/active-organisation", status_code=200)
    async def set_active(
        self, data: ActiveOrganisationBody, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> MeOut:
        no_api_keys(caller)
        await cases.accounts.set_active_organisation(caller.user_id, data.organisation_id)
        return await _profile(cases, caller.user_id)


class ApiKeysController(Controller):
    path = "/api/api-keys"
    tags = ["identity"]

    @post("/", status_code=201)
    async def create(
        self, data: ApiKeyBody, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> ApiKeyCreatedOut:
        issued = await cases.api_keys.create_api_key(
            caller, data.organisation_id, data.name, data.scopes, data.expires_at
        )
        k = issued.api_key
        return ApiKeyCreatedOut(
            id=k.id,
            name=k.name,
            prefix=k.prefix,
            scopes=list(k.scopes),
            expires_at=k.expires_at,
            organisation_id=k.organisation_id,
            key=issued.key,
        )

    @get("/")
    async def list_keys(
        self,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
        page: NamedDependency[PageRequest],
    ) -> ApiKeyList:
        found = await cases.api_keys.list_api_keys(caller, page)
        return ApiKeyList([present.api_key(k) for k in found.items], pagination(found))  # type: ignore[arg-type]

    @delete("/{key_id:int}", status_code=204)
    async def revoke(
        self,
        key_id: Annotated[int, Parameter(ge=1, le=9_007_199_254_740_991)],
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
    ) -> None:
        await cases.api_keys.revoke_api_key(caller, key_id)
