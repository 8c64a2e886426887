"""Bodies of the identity routes: register, login, refresh, me, API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta

from entrypoints.http.schemas.common import EMAIL_FORMAT, Aware, Body, Id, Name, Out, Pagination, RoleName

Email = Annotated[str, Meta(min_length=3, max_length=254), EMAIL_FORMAT]
Password = Annotated[str, Meta(max_length=1024)]


class RegisterBody(Body):
    email: Email
    password: Password
    name: Name


class UserOut(Out):
    id: int
    email: str
    name: str


class LoginBody(Body):
    email: Email
    password: Password


class TokenPairOut(Out):
    access_token: str
    token_type: str
    expires_in: int
    refresh_token: str


class RefreshBody(Body):
    refresh_token: Annotated[str, Meta(min_length=1, max_length=512)]


class MembershipOut(Out):
    id: int
    slug: str
    name: str
    role: RoleName


class MeOut(Out):
    id: int
    email: str
    name: str
    active_organisation_id: int | None
    organisations: list[MembershipOut]


class ActiveOrganisationBody(Body):
    organisation_id: Id


class ApiKeyBody(Body):
    name: Name
    organisation_id: Id
    scopes: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(min_length=1, max_length=8)]
    expires_at: Aware | None = None


class ApiKeyOut(Out):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    expires_at: datetime | None
    organisation_id: int
    last_used_at: datetime | None
    created_at: datetime | None


class ApiKeyCreatedOut(Out):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    expires_at: datetime | None
    organisation_id: int
    key: str


class ApiKeyList(Out):
    data: list[ApiKeyOut]
    pagination: Pagination
