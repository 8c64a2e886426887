"""Organisations, settings and members."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import Parameter

from application import organisations as orgs
from application.ports import MemberView, PageRequest
from domain.access import Role
from domain.cancellation import PolicyTier
from domain.errors import InvalidInput
from domain.identity import Caller
from entrypoints.composition import Runtime, UseCases
from entrypoints.http import present
from entrypoints.http.schemas.common import pagination, utc
from entrypoints.http.schemas.organisations import (
    MemberBody,
    MemberList,
    MemberOut,
    MemberPatch,
    OrganisationBody,
    OrganisationList,
    OrganisationOut,
    OrganisationPatch,
)

OrgId = Annotated[int, Parameter(ge=1, le=9_007_199_254_740_991)]


def _member(m: MemberView) -> MemberOut:
    return MemberOut(m.user_id, m.email, m.name, m.role.value, utc(m.joined_at))


def _patch_values(data: OrganisationPatch) -> dict[str, Any]:
    if data.commission_bps is not msgspec.UNSET:
        raise InvalidInput(
            "commissionBps is set by the platform operator, not by the organisation", "commissionBps"
        )
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    changes.pop("commission_bps", None)
    if "cancellation_policy" in changes:
        changes["cancellation_policy"] = tuple(
            PolicyTier(t.min_hours_before, t.refund_percent) for t in changes["cancellation_policy"]
        )
    return changes


class OrganisationsController(Controller):
    path = "/api/organisations"
    tags = ["organisations"]

    @post("/", status_code=201)
    async def create(
        self,
        data: OrganisationBody,
        cases: NamedDependency[UseCases],
        state: State,
        caller: NamedDependency[Caller],
    ) -> OrganisationOut:
        runtime: Runtime = state.runtime
        policy = (
            None
            if data.cancellation_policy is None
            else tuple(PolicyTier(t.min_hours_before, t.refund_percent) for t in data.cancellation_policy)
        )
        new = orgs.NewOrganisation(
            data.name,
            data.slug,
            data.timezone,
            data.currency,
            data.service_fee_bps,
            data.tax_bps,
            policy,
            data.public_booking_enabled,
            data.reschedule_min_hours_before,
            data.locale,
            data.notification_email,
            data.description,
            data.brand_color,
        )
        org = await cases.organisations.create_organisation(caller, new)
        return present.organisation(org, runtime.settings.platform_commission_bps)

    @get("/")
    async def list_mine(
        self,
        cases: NamedDependency[UseCases],
        state: State,
        caller: NamedDependency[Caller],
        page: NamedDependency[PageRequest],
    ) -> OrganisationList:
        runtime: Runtime = state.runtime
        found = await cases.organisations.my_organisations(caller, page)
        bps = runtime.settings.platform_commission_bps
        return OrganisationList([present.organisation(o, bps) for o in found.items], pagination(found))  # type: ignore[arg-type]

    @get("/{organisation_id:int}")
    async def get_one(
        self,
        organisation_id: OrgId,
        cases: NamedDependency[UseCases],
        state: State,
        caller: NamedDependency[Caller],
    ) -> OrganisationOut:
        runtime: Runtime = state.runtime
        org = await cases.organisations.get_organisation(caller, organisation_id)
        return present.organisation(org, runtime.settings.platform_commission_bps)

    @patch("/{organisation_id:int}")
    async def update(
        self,
        organisation_id: OrgId,
        data: OrganisationPatch,
        cases: NamedDependency[UseCases],
        state: State,
        caller: NamedDependency[Caller],
    ) -> OrganisationOut:
        runtime: Runtime = state.runtime
        org = await cases.organisations.update_organisation(caller, organisation_id, _patch_values(data))
        return present.organisation(org, runtime.settings.platform_commission_bps)

    @get("/{organisation_id:int}/members")
    async def list_members(
        self,
        organisation_id: OrgId,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
        page: NamedDependency[PageRequest],
    ) -> MemberList:
        found = await cases.organisations.members(caller, organisation_id, page)
        return MemberList([_member(m) for m in found.items], pagination(found))  # type: ignore[arg-type]

    @post("/{organisation_id:int}/members", status_code=201)
    async def add_member(
        self,
        organisation_id: OrgId,
        data: MemberBody,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
    ) -> MemberOut:
        return _member(
            await cases.organisations.add_member(caller, organisation_id, data.email, Role(data.role))
        )

    @patch("/{organisation_id:int}/members/{user_id:int}")
    async def change_member(
        self,
        organisation_id: OrgId,
        user_id: Annotated[int, Parameter(ge=1, le=9_007_199_254_740_991)],
        data: MemberPatch,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
    ) -> MemberOut:
        return _member(
            await cases.organisations.change_member_role(caller, organisation_id, user_id, Role(data.role))
        )

    @delete("/{organisation_id:int}/members/{user_id:int}", status_code=204)
    async def remove_member(
        self,
        organisation_id: OrgId,
        user_id: Annotated[int, Parameter(ge=1, le=9_007_199_254_740_991)],
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
    ) -> None:
        await cases.organisations.remove_member(caller, organisation_id, user_id)
