"""Organisations, resource types and resources on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update

from adapters.postgres import mappers
from adapters.postgres.base import Repository
from adapters.postgres.tables import memberships, organisations, resource_types, resources
from application.ports import Page, PageRequest
from domain.catalog import Organisation, Resource, ResourceType, StripeAccount


class SqlOrganisations(Repository):
    async def add(self, organisation: Organisation) -> Organisation:
        row = await self.row(
            insert(organisations).values(**mappers.organisation_values(organisation)).returning(organisations)
        )
        assert row is not None
        return mappers.organisation(row)

    async def by_id(self, organisation_id: int) -> Organisation | None:
        row = await self.row(select(organisations).where(organisations.c.id == organisation_id))
        return mappers.organisation(row) if row else None

    async def by_slug(self, slug: str) -> Organisation | None:
        row = await self.row(select(organisations).where(organisations.c.slug == slug))
        return mappers.organisation(row) if row else None

    async def by_stripe_account(self, account_id: str) -> Organisation | None:
        row = await self.row(select(organisations).where(organisations.c.stripe_account_id == account_id))
        return mappers.organisation(row) if row else None

    async def of_user(self, user_id: int, page: PageRequest) -> Page[Organisation]:
        query = (
            select(organisations)
            .join(memberships, memberships.c.organisation_id == organisations.c.id)
            .where(memberships.c.user_id == user_id)
            .order_by(organisations.c.id)
        )
        rows, total = await self.paged(query, page)
        return Page([mappers.organisation(r) for r in rows], total, page)

    async def update(self, organisation: Organisation) -> Organisation:
        row = await self.row(
            update(organisations)
            .where(organisations.c.id == organisation.id)
            .values(**mappers.organisation_values(organisation), updated_at=func.now())
            .returning(organisations)
        )
        assert row is not None
        return mappers.organisation(row)

    async def set_stripe(self, organisation_id: int, account: StripeAccount) -> None:
        await self.execute(
            update(organisations)
            .where(organisations.c.id == organisation_id)
            .values(
                stripe_account_id=account.account_id,
                charges_enabled=account.charges_enabled,
                payouts_enabled=account.payouts_enabled,
                details_submitted=account.details_submitted,
                updated_at=func.now(),
            )
        )

    async def set_commission(self, slug: str, bps: int | None) -> bool:
        result = await self.execute(
            update(organisations)
            .where(organisations.c.slug == slug)
            .values(commission_bps=bps, updated_at=func.now())
        )
        return result.rowcount == 1


_live_types = resource_types.c.deleted_at.is_(None)


class SqlResourceTypes(Repository):
    async def add(self, resource_type: ResourceType) -> ResourceType:
        row = await self.row(
            insert(resource_types)
            .values(
                organisation_id=resource_type.organisation_id, **mappers.resource_type_values(resource_type)
            )
            .returning(resource_types)
        )
        assert row is not None
        return mappers.resource_type(row)

    async def get(self, organisation_id: int, type_id: int) -> ResourceType | None:
        row = await self.row(
            select(resource_types).where(
                resource_types.c.organisation_id == organisation_id,
                resource_types.c.id == type_id,
                _live_types,
            )
        )
        return mappers.resource_type(row) if row else None

    async def page(self, organisation_id: int, page: PageRequest) -> Page[ResourceType]:
        query = (
            select(resource_types)
            .where(resource_types.c.organisation_id == organisation_id, _live_types)
            .order_by(resource_types.c.id)
        )
        rows, total = await self.paged(query, page)
        return Page([mappers.resource_type(r) for r in rows], total, page)

    async def all(self, organisation_id: int, listing: bool = False) -> list[ResourceType]:
        columns = [c for c in resource_types.c if not (listing and c.name in _HOURS)]
        rows = await self.rows(
            select(*columns)
            .where(resource_types.c.organisation_id == organisation_id, _live_types)
            .order_by(resource_types.c.id)
        )
        if listing:  # decoding a year of date overrides per type would dominate a catalog read
            return [mappers.resource_type(dict(r) | _NO_HOURS) for r in rows]
        return [mappers.resource_type(r) for r in rows]

    async def update(self, resource_type: ResourceType) -> ResourceType:
        row = await self.row(
            update(resource_types)
            .where(
                resource_types.c.organisation_id == resource_type.organisation_id,
                resource_types.c.id == resource_type.id,
            )
            .values(**mappers.resource_type_values(resource_type), updated_at=func.now())
            .returning(resource_types)
        )
        assert row is not None
        return mappers.resource_type(row)

    async def delete(self, organisation_id: int, type_id: int, now: datetime) -> None:
        await self.execute(
            update(resources)
            .where(
                resources.c.organisation_id == organisation_id,
                resources.c.resource_type_id == type_id,
                resources.c.deleted_at.is_(None),
            )
            .values(deleted_at=now, is_active=False)
        )
        await self.execute(
            update(resource_types)
            .where(resource_types.c.organisation_id == organisation_id, resource_types.c.id == type_id)
            .values(deleted_at=now)
        )


_live = resources.c.deleted_at.is_(None)


_RESOURCE_FIELDS = {
    "resource_type_id": "resource_type_id",
    "name": "name",
    "capacity": "capacity",
    "is_active": "is_active",
    "public_booking_token": "public_booking_token",
    "ical_import_url": "ical_import_url",
}


_HOURS = ("weekly_hours", "date_overrides")
_NO_HOURS: dict[str, Any] = {"weekly_hours": {}, "date_overrides": []}


class SqlResources(Repository):
    async def add(self, resource: Resource) -> Resource:
        row = await self.row(
            insert(resources)
            .values(
                organisation_id=resource.organisation_id,
                resource_type_id=resource.resource_type_id,
                name=resource.name,
                capacity=resource.capacity,
                is_active=resource.is_active,
                public_booking_token=resource.public_booking_token,
            )
            .returning(resources)
        )
        assert row is not None
        return mappers.resource(row)

    async def get(self, organisation_id: int, resource_id: int) -> Resource | None:
        row = await self.row(
            select(resources).where(
                resources.c.organisation_id == organisation_id, resources.c.id == resource_id, _live
            )
        )
        return mappers.resource(row) if row else None

    async def page(
        self, organisation_id: int, page: PageRequest, resource_type_id: int | None = None
    ) -> Page[Resource]:
        query = select(resources).where(resources.c.organisation_id == organisation_id, _live)
        if resource_type_id is not None:
            query = query.where(resources.c.resource_type_id == resource_type_id)
        rows, total = await self.paged(query.order_by(resources.c.id), page)
        return Page([mappers.resource(r) for r in rows], total, page)

    async def of_types(self, organisation_id: int, type_ids: list[int]) -> list[Resource]:
        rows = await self.rows(
            select(resources)
            .where(
                resources.c.organisation_id == organisation_id,
                resources.c.resource_type_id.in_(type_ids),
                _live,
            )
            .order_by(resources.c.id)
        )
        return [mappers.resource(r) for r in rows]

    async def by_token(self, token: str) -> Resource | None:
        row = await self.row(select(resources).where(resources.c.public_booking_token == token, _live))
        return mappers.resource(row) if row else None

    async def hold_capacity(self, organisation_id: int, resource_id: int) -> None:
        # The key the allocation trigger takes shared for every booking of the resource (migration 0003).
        await self.execute(
            text("SELECT pg_advisory_xact_lock(-1, CAST(:id % 2147483647 AS integer))"), {"id": resource_id}
        )

    async def update(self, resource: Resource, before: Resource) -> Resource:
        # Only what changed: writing the unchanged (unique) token would take the row's key lock, which
        # waits for every booking in flight (their foreign key checks hold key-share locks on the row).
        changed = {
            column: getattr(resource, field)
            for column, field in _RESOURCE_FIELDS.items()
            if getattr(resource, field) != getattr(before, field)
        }
        if "ical_import_url" in changed:  # a new feed is read within a minute, from scratch
            changed |= {"ical_next_import_at": None, "ical_etag": None, "ical_last_modified": None}
        row = await self.row(
            update(resources)
            .where(resources.c.organisation_id == resource.organisation_id, resources.c.id == resource.id)
            .values(**changed, updated_at=func.now())
            .returning(resources)
        )
        assert row is not None
        return mappers.resource(row)

    async def delete(self, organisation_id: int, resource_id: int, now: datetime) -> None:
        await self.execute(
            update(resources)
            .where(resources.c.organisation_id == organisation_id, resources.c.id == resource_id)
            .values(deleted_at=now, is_active=False)
        )
