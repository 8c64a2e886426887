"""Resource types and resources of the active organisation."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from application.access import authorize
from application.booking import retrying
from application.ports import Clock, Page, PageRequest, UnitOfWork, UnitOfWorkFactory
from application.webhook_ports import TargetCheck
from domain.access import CATALOG_READ, CATALOG_WRITE
from domain.catalog import MAX_RESOURCE_TYPES, MAX_RESOURCES_PER_TYPE, Organisation, Resource, ResourceType
from domain.errors import Conflict, NotFound
from domain.hours import OpeningHours
from domain.identity import Caller
from domain.webhooks import validate_url

READ, WRITE = CATALOG_READ, CATALOG_WRITE


def new_public_token() -> str:
    """A resource's public booking token: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


async def _organisation(uow: UnitOfWork, organisation_id: int) -> Organisation:
    org = await uow.organisations.by_id(organisation_id)
    if org is None:
        raise NotFound("no such organisation")
    return org


class CatalogAdmin:
    """The organisation's resource types and resources: created, listed, changed and removed by its admins
    (read by any member), never beyond what future bookings still need."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        targets: TargetCheck | None = None,
        allow_http: bool = True,
    ) -> None:
        self.uow, self.clock = uow, clock
        self.targets, self.allow_http = targets, allow_http

    async def create_resource_type(self, caller: Caller, draft: ResourceType) -> ResourceType:
        organisation_id, _ = authorize(caller, WRITE)
        async with self.uow() as uow:
            org = await _organisation(uow, organisation_id)
            if len(await uow.resource_types.all(organisation_id, listing=True)) >= MAX_RESOURCE_TYPES:
                raise Conflict(f"an organisation has at most {MAX_RESOURCE_TYPES} resource types")
            created = await uow.resource_types.add(
                replace(draft, organisation_id=organisation_id).validated(org.currency)
            )
            await uow.commit()
        return created

    async def list_resource_types(self, caller: Caller, page: PageRequest) -> Page[ResourceType]:
        organisation_id, _ = authorize(caller, READ)
        async with self.uow() as uow:
            return await uow.resource_types.page(organisation_id, page)

    async def get_resource_type(self, caller: Caller, type_id: int) -> ResourceType:
        organisation_id, _ = authorize(caller, READ)
        async with self.uow() as uow:
            found = await uow.resource_types.get(organisation_id, type_id)
        if found is None:
            raise NotFound("no such resource type")
        return found

    async def update_resource_type(
        self, caller: Caller, type_id: int, changes: dict[str, Any]
    ) -> ResourceType:
        organisation_id, _ = authorize(caller, WRITE)
        async with self.uow() as uow:
            current = await uow.resource_types.get(organisation_id, type_id)
            if current is None:
                raise NotFound("no such resource type")
            org = await _organisation(uow, organisation_id)
            weekly, overrides = changes.pop("weekly", None), changes.pop("overrides", None)
            if weekly is not None or overrides is not None:
                changes["hours"] = OpeningHours(
                    current.hours.weekly if weekly is None else weekly,
                    current.hours.overrides if overrides is None else overrides,
                )
            changed = replace(current, **changes).validated(org.currency)
            if changed.booking_unit != current.booking_unit and await uow.reservations.has_future_holding(
                organisation_id, self.clock.now(), resource_type_id=type_id
            ):
                raise Conflict(
                    f"the type has future reservations booked by the {current.booking_unit}; "
                    "cancel or move them before it books by another unit"
                )
            updated = await uow.resource_types.update(changed)
            await uow.commit()
        return updated

    async def delete_resource_type(self, caller: Caller, type_id: int) -> None:
        """Delete a type and its resources; Conflict while future reservations hold any of it."""
        organisation_id, _ = authorize(caller, WRITE)
        now = self.clock.now()
        async with self.uow() as uow:
            if await uow.resource_types.get(organisation_id, type_id) is None:
                raise NotFound("no such resource type")
            if await uow.reservations.has_future_holding(organisation_id, now, resource_type_id=type_id):
                raise Conflict("the type has future reservations; cancel or move them first")
            await uow.resource_types.delete(organisation_id, type_id, now)
            await uow.commit()

    async def create_resource(self, caller: Caller, draft: Resource) -> Resource:
        organisation_id, _ = authorize(caller, WRITE)
        resource = replace(
            draft, organisation_id=organisation_id, public_booking_token=new_public_token()
        ).validated()
        async with self.uow() as uow:
            if await uow.resource_types.get(organisation_id, resource.resource_type_id) is None:
                raise NotFound("no such resource type")
            if (
                len(await uow.resources.of_types(organisation_id, [resource.resource_type_id]))
                >= MAX_RESOURCES_PER_TYPE
            ):
                raise Conflict(f"a resource type has at most {MAX_RESOURCES_PER_TYPE} resources")
            created = await uow.resources.add(resource)
            await uow.commit()
        return created

    async def list_resources(
        self, caller: Caller, page: PageRequest, resource_type_id: int | None = None
    ) -> Page[Resource]:
        organisation_id, _ = authorize(caller, READ)
        async with self.uow() as uow:
            return await uow.resources.page(organisation_id, page, resource_type_id)

    async def get_resource(self, caller: Caller, resource_id: int) -> Resource:
        organisation_id, _ = authorize(caller, READ)
        async with self.uow() as uow:
            found = await uow.resources.get(organisation_id, resource_id)
        if found is None:
            raise NotFound("no such resource")
        return found

    async def update_resource(self, caller: Caller, resource_id: int, changes: dict[str, Any]) -> Resource:
        """Rename, re-capacity, (de)activate or move to another type; capacity never drops below bookings."""
        organisation_id, _ = authorize(caller, WRITE)
        now = self.clock.now()
        if changes.get("ical_import_url") is not None:  # the same rules as a webhook's target (section 10)
            url = validate_url(changes["ical_import_url"], self.allow_http, "icalImportUrl")
            if self.targets is not None:
                await self.targets.check(url, "icalImportUrl")
            changes = changes | {"ical_import_url": url}

        async def attempt() -> Resource:
            async with self.uow() as uow:
                if "capacity" in changes:
                    await uow.resources.hold_capacity(organisation_id, resource_id)  # locks in booking order
                current = await uow.resources.get(organisation_id, resource_id)
                if current is None:
                    raise NotFound("no such resource")
                updated = replace(current, **changes).validated()
                if updated.resource_type_id != current.resource_type_id:
                    if await uow.resource_types.get(organisation_id, updated.resource_type_id) is None:
                        raise NotFound("no such resource type")
                    if await uow.reservations.has_future_holding(
                        organisation_id, now, resource_id=resource_id
                    ):
                        raise Conflict("the resource has future reservations of its current type")
                saved = await uow.resources.update(updated, current)
                await uow.commit()
            return saved

        return await retrying(attempt)

    async def delete_resource(self, caller: Caller, resource_id: int) -> None:
        organisation_id, _ = authorize(caller, WRITE)
        now = self.clock.now()
        async with self.uow() as uow:
            if await uow.resources.get(organisation_id, resource_id) is None:
                raise NotFound("no such resource")
            if await uow.reservations.has_future_holding(organisation_id, now, resource_id=resource_id):
                raise Conflict("the resource has future reservations; cancel or move them first")
            await uow.resources.delete(organisation_id, resource_id, now)
            await uow.commit()

    async def regenerate_token(self, caller: Caller, resource_id: int) -> Resource:
        """A new public booking token; the old one stops working at once."""
        organisation_id, _ = authorize(caller, WRITE)
        async with self.uow() as uow:
            current = await uow.resources.get(organisation_id, resource_id)
            if current is None:
                raise NotFound("no such resource")
            saved = await uow.resources.update(
                replace(current, public_booking_token=new_public_token()), current
            )
            await uow.commit()
        return saved
