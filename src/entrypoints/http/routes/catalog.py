"""Resource types and resources of the active organisation."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import Parameter

from application import catalog
from application.context import Context
from application.ports import PageRequest
from domain.catalog import Resource, ResourceType
from domain.hours import DateOverride, Interval, OpeningHours
from domain.identity import Caller
from entrypoints.http import present
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
        self, data: ResourceTypeBody, ctx: NamedDependency[Context], caller: NamedDependency[Caller]
    ) -> ResourceTypeOut:
        fields = _set(data)
        hours = OpeningHours(_weekly(fields.pop("weekly_hours")), _overrides(fields.pop("date_overrides")))
        created = await catalog.create_resource_type(ctx, caller, ResourceType(0, 0, hours=hours, **fields))
        return present.resource_type(created)

    @get("/")
    async def list_types(
        self,
        ctx: NamedDependency[Context],
        caller: NamedDependency[Caller],
        page: NamedDependency[PageRequest],
    ) -> ResourceTypeList:
        found = await catalog.list_resource_types(ctx, caller, page)
        return ResourceTypeList([present.resource_type(t) for t in found.items], pagination(found))  # type: ignore[arg-type]

    @get("/{type_id:int}")
    async def get_one(
        self, type_id: PathId, ctx: NamedDependency[Context], caller: NamedDependency[Caller]
    ) -> ResourceTypeOut:
        return present.resource_type(await catalog.get_resource_type(ctx, caller, type_id))

    @patch("/{type_id:int}")
    async def update(
        self,
        type_id: PathId,
        data: ResourceTypePatch,
        ctx: NamedDependency[Context],
        caller: NamedDependency[Caller],
    ) -> ResourceTypeOut:
        changes = _set(data)
        if "weekly_hours" in changes:
            changes["weekly"] = _weekly(changes.pop("weekly_hours"))
        if "date_overrides" in changes:
            changes["overrides"] = _overrides(changes.pop("date_overrides"))
        return present.resource_type(await catalog.update_resource_type(ctx, caller, type_id, changes))

    @delete("/{type_id:int}", status_code=204)
    async def remove(
        self, type_id: PathId, ctx: NamedDependency[Context], caller: NamedDependency[Caller]
    ) -> None:
        await catalog.delete_resource_type(ctx, caller, type_id)


class ResourcesController(Controller):
    path = "/api/resources"
    tags = ["catalog"]

    @post("/", status_code=201)
    async def create(
        self, data: ResourceBody, ctx: NamedDependency[Context], caller: NamedDependency[Caller]
    ) -> ResourceOut:
        draft = Resource(0, 0, data.resource_type_id, data.name, data.capacity, data.is_active)
        return present.resource(await catalog.create_resource(ctx, caller, draft))

    @get("/")
    async def list_resources(
        self,
        ctx: NamedDependency[Context],
        caller: NamedDependency[Caller],
        page: NamedDependency[PageRequest],
        resource_type_id: Annotated[
            int | None, Parameter(query="resourceTypeId", ge=1, le=9_007_199_254_740_991, required=False)
        ] = None,
    ) -> ResourceList:
        found = await catalog.list_resources(ctx, caller, page, resource_type_id)
        return ResourceList([present.resource(r) for r in found.items], pagination(found))  # type: ignore[arg-type]

    @get("/{resource_id:int}")
    async def get_one(
        self, resource_id: PathId, ctx: NamedDependency[Context], caller: NamedDependency[Caller]
    ) -> ResourceOut:
        return present.resource(await catalog.get_resource(ctx, caller, resource_id))

    @patch("/{resource_id:int}")
    async def update(
        self,
        resource_id: PathId,
        data: ResourcePatch,
        ctx: NamedDependency[Context],
        caller: NamedDependency[Caller],
    ) -> ResourceOut:
        return present.resource(await catalog.update_resource(ctx, caller, resource_id, _set(data)))

    @delete("/{resource_id:int}", status_code=204)
    async def remove(
        self, resource_id: PathId, ctx: NamedDependency[Context], caller: NamedDependency[Caller]
    ) -> None:
        await catalog.delete_resource(ctx, caller, resource_id)

    @get("/{resource_id:int}/public-token")
    async def public_token(
        self, resource_id: PathId, ctx: NamedDependency[Context], caller: NamedDependency[Caller]
    ) -> PublicTokenOut:
        return _token(ctx, await catalog.get_resource(ctx, caller, resource_id))

    @post("/{resource_id:int}/regenerate-token", status_code=200)
    async def regenerate_token(
        self, resource_id: PathId, ctx: NamedDependency[Context], caller: NamedDependency[Caller]
    ) -> PublicTokenOut:
        return _token(ctx, await catalog.regenerate_token(ctx, caller, resource_id))


def _token(ctx: Context, resource: Resource) -> PublicTokenOut:
    token = resource.public_booking_token
    return PublicTokenOut(resource.id, token, f"{ctx.policy.public_base_url}/api/public/booking/{token}")
