"""Resource types and resources of the active organisation."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import Parameter

from application.ports import PageRequest
from domain.catalog import Resource, ResourceType
from domain.errors import InvalidInput
from domain.hours import DateOverride, Interval, OpeningHours
from domain.identity import Caller
from domain.stays import BookingUnit
from entrypoints.composition import Runtime, UseCases
from entrypoints.http import present
from entrypoints.http.links import booking_page
from entrypoints.http.schemas.catalog import (
    DateOverrideBody,
    PublicTokenOut,
    ResourceBody,
    ResourceList,
    ResourceOut,
    ResourcePatch,
    ResourceTypeBody,
    ResourceTypeList,
    ResourceTypeOut,
    ResourceTypePatch,
    WeeklyHoursBody,
)
from entrypoints.http.schemas.common import pagination

PathId = Annotated[int, Parameter(ge=1, le=9_007_199_254_740_991)]


def _weekly(body: WeeklyHoursBody) -> dict[str, tuple[Interval, ...]]:
    days = msgspec.structs.asdict(body)
    return {day: tuple(Interval(i.start, i.end) for i in spans) for day, spans in days.items() if spans}


def _overrides(bodies: list[DateOverrideBody]) -> tuple[DateOverride, ...]:
    return tuple(
        DateOverride(o.date, o.closed, tuple(Interval(i.start, i.end) for i in o.hours)) for o in bodies
    )


def _set(data: msgspec.Struct) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}


class ResourceTypesController(Controller):
    path = "/api/resource-types"
    tags = ["catalog"]

    @post("/", status_code=201)
    async def create(
        self, data: ResourceTypeBody, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> ResourceTypeOut:
        fields = _set(data)
        weekly = fields.pop("weekly_hours")
        if weekly is None and data.booking_unit == "slot":
            raise InvalidInput("weeklyHours is required for a type booked by the slot", "weeklyHours")
        hours = OpeningHours(_weekly(weekly) if weekly else {}, _overrides(fields.pop("date_overrides")))
        fields["slot_minutes"] = fields["slot_minutes"] or 0  # 0: not given; required by the slot
        fields["booking_unit"] = BookingUnit(fields["booking_unit"])
        created = await cases.catalog.create_resource_type(caller, ResourceType(0, 0, hours=hours, **fields))
        return present.resource_type(created)

    @get("/")
    async def list_types(
        self,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
        page: NamedDependency[PageRequest],
    ) -> ResourceTypeList:
        found = await cases.catalog.list_resource_types(caller, page)
        return ResourceTypeList([present.resource_type(t) for t in found.items], pagination(found))  # type: ignore[arg-type]

    @get("/{type_id:int}")
    async def get_one(
        self, type_id: PathId, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> ResourceTypeOut:
        return present.resource_type(await cases.catalog.get_resource_type(caller, type_id))

    @patch("/{type_id:int}")
    async def update(
        self,
        type_id: PathId,
        data: ResourceTypePatch,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
    ) -> ResourceTypeOut:
        changes = _set(data)
        if "booking_unit" in changes:
            changes["booking_unit"] = BookingUnit(changes["booking_unit"])
        if "weekly_hours" in changes:
            changes["weekly"] = _weekly(changes.pop("weekly_hours"))
        if "date_overrides" in changes:
            changes["overrides"] = _overrides(changes.pop("date_overrides"))
        return present.resource_type(await cases.catalog.update_resource_type(caller, type_id, changes))

    @delete("/{type_id:int}", status_code=204)
    async def remove(
        self, type_id: PathId, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> None:
        await cases.catalog.delete_resource_type(caller, type_id)


class ResourcesController(Controller):
    path = "/api/resources"
    tags = ["catalog"]

    @post("/", status_code=201)
    async def create(
        self, data: ResourceBody, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> ResourceOut:
        draft = Resource(0, 0, data.resource_type_id, data.name, data.capacity, data.is_active)
        return present.resource(await cases.catalog.create_resource(caller, draft))

    @get("/")
    async def list_resources(
        self,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
        page: NamedDependency[PageRequest],
        resource_type_id: Annotated[
            int | None, Parameter(query="resourceTypeId", ge=1, le=9_007_199_254_740_991, required=False)
        ] = None,
    ) -> ResourceList:
        found = await cases.catalog.list_resources(caller, page, resource_type_id)
        return ResourceList([present.resource(r) for r in found.items], pagination(found))  # type: ignore[arg-type]

    @get("/{resource_id:int}")
    async def get_one(
        self, resource_id: PathId, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> ResourceOut:
        return present.resource(await cases.catalog.get_resource(caller, resource_id))

    @patch("/{resource_id:int}")
    async def update(
        self,
        resource_id: PathId,
        data: ResourcePatch,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
    ) -> ResourceOut:
        return present.resource(await cases.catalog.update_resource(caller, resource_id, _set(data)))

    @delete("/{resource_id:int}", status_code=204)
    async def remove(
        self, resource_id: PathId, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> None:
        await cases.catalog.delete_resource(caller, resource_id)

    @get("/{resource_id:int}/public-token")
    async def public_token(
        self,
        resource_id: PathId,
        cases: NamedDependency[UseCases],
        state: State,
        caller: NamedDependency[Caller],
    ) -> PublicTokenOut:
        runtime: Runtime = state.runtime
        return _token(runtime, await cases.catalog.get_resource(caller, resource_id))

    @post("/{resource_id:int}/regenerate-token", status_code=200)
    async def regenerate_token(
        self,
        resource_id: PathId,
        cases: NamedDependency[UseCases],
        state: State,
        caller: NamedDependency[Caller],
    ) -> PublicTokenOut:
        runtime: Runtime = state.runtime
        return _token(runtime, await cases.catalog.regenerate_token(caller, resource_id))


def _token(runtime: Runtime, resource: Resource) -> PublicTokenOut:
    token = resource.public_booking_token
    return PublicTokenOut(resource.id, token, booking_page(runtime.settings.public_base_url, token))
