"""The public face of an organisation: reached by its slug or by one resource's secret token."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import UnitOfWork, UnitOfWorkFactory
from domain.catalog import Organisation, Resource, ResourceType, open_to_public
from domain.errors import NotFound


@dataclass(frozen=True)
class Entry:
    """How a customer arrived: by the organisation's slug, or by one resource's secret token."""

    slug: str | None = None
    token: str | None = None


@dataclass(frozen=True)
class Storefront:
    organisation: Organisation
    types: list[ResourceType]
    resources: dict[int, list[Resource]]  # active resources by type id
    token_resource: Resource | None = None


async def storefront(uow: UnitOfWork, entry: Entry) -> Storefront:
    """The public face of an organisation (or of one resource); NotFound when it is not public."""
    token_resource = None
    if entry.token is not None:
        token_resource = await uow.resources.by_token(entry.token)
        if token_resource is None:
            raise NotFound("no such booking page")
        org = await uow.organisations.by_id(token_resource.organisation_id)
    else:
        org = await uow.organisations.by_slug(entry.slug or "")
    if org is None or not open_to_public(org, resource=token_resource):
        raise NotFound("no such booking page")
    types = [t for t in await uow.resource_types.all(org.id, listing=True) if open_to_public(org, t)]
    if token_resource is not None:
        types = [t for t in types if t.id == token_resource.resource_type_id]
        if not types:
            raise NotFound("no such booking page")
    by_type: dict[int, list[Resource]] = {t.id: [] for t in types}
    for resource in await uow.resources.of_types(org.id, list(by_type)):
        if open_to_public(org, resource=resource):
            by_type[resource.resource_type_id].append(resource)
    return Storefront(org, types, by_type, token_resource)


class Storefronts:
    """The public face of organisations: what a page shows, and which organisation a page belongs to."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow

    async def catalog(self, entry: Entry) -> Storefront:
        async with self.uow() as uow:
            return await storefront(uow, entry)

    async def organisation_id_of(self, entry: Entry, public_only: bool = True) -> int:
        """The organisation behind a slug or token; NotFound otherwise. Checkout status and retry keep
        serving existing reservations when public booking is switched off (public_only=False)."""
        async with self.uow() as uow:
            if public_only:
                return (await storefront(uow, entry)).organisation.id
            if entry.token is not None:
                resource = await uow.resources.by_token(entry.token)
                organisation_id = resource.organisation_id if resource is not None else None
            else:
                org = await uow.organisations.by_slug(entry.slug or "")
                organisation_id = org.id if org is not None else None
        if organisation_id is None:
            raise NotFound("no such booking page")
        return organisation_id

    async def currency_of(self, slug: str | None, default: str = "eur") -> str:
        """The currency a booking widget shows: the organisation's for a known slug, else the default."""
        if not slug:
            return default
        async with self.uow() as uow:
            org = await uow.organisations.by_slug(slug)
        return org.currency if org is not None else default
