"""The demo organisation `acme-spa`: a staff login, resource types and resources to try the API with."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from application.catalog import CatalogAdmin
from application.identity import Accounts
from application.organisations import NewOrganisation, OrganisationAdmin
from application.ports import UnitOfWorkFactory
from domain.access import Role
from domain.catalog import Resource, ResourceType
from domain.errors import AlreadyExists
from domain.hours import WEEKDAYS, Interval, OpeningHours
from domain.identity import Caller

DEMO_SLUG = "acme-spa"
DEMO_EMAIL = "owner@acme-spa.example"


@dataclass(frozen=True)
class DemoInfo:
    created: bool
    organisation_id: int
    email: str
    password: str | None  # shown only when the demo was created by this call
    slug: str
    resource_tokens: dict[str, str]


async def seed_demo(
    uow_factory: UnitOfWorkFactory,
    accounts: Accounts,
    organisations: OrganisationAdmin,
    catalog: CatalogAdmin,
) -> DemoInfo:
    """Create the demo organisation once, through the same use cases as everyone; later calls report
    what is there."""
    async with uow_factory() as uow:
        existing = await uow.organisations.by_slug(DEMO_SLUG)
        if existing is not None:
            found = await uow.resources.of_types(
                existing.id, [t.id for t in await uow.resource_types.all(existing.id)]
            )
            tokens = {r.name: r.public_booking_token for r in found}
            return DemoInfo(False, existing.id, DEMO_EMAIL, None, DEMO_SLUG, tokens)
    password = secrets.token_urlsafe(12)
    try:
        user = await accounts.register(DEMO_EMAIL, password, "Acme Spa Owner")
    except AlreadyExists:
        async with uow_factory() as uow:
            found_user = await uow.users.by_email(DEMO_EMAIL)
        assert found_user is not None
        user, password = found_user, "(unchanged: the user existed before the demo)"
    owner = Caller(user.id)
    org = await organisations.create_organisation(
        owner, NewOrganisation("Acme Spa", DEMO_SLUG, "Europe/Berlin", "eur", 250, 1900)
    )
    admin = Caller(user.id, org.id, Role.OWNER)
    week: dict[str, tuple[Interval, ...]] = {day: (Interval("09:00", "18:00"),) for day in WEEKDAYS[:6]}
    massage = await catalog.create_resource_type(
        admin,
        ResourceType(
            0,
            org.id,
            "Massage (60 min)",
            60,
            description="Relaxing full-body massage",
            price_amount=6500,
            payment_required=True,
            buffer_after_minutes=15,
            min_notice_minutes=60,
            hours=OpeningHours(week),
        ),
    )
    sauna = await catalog.create_resource_type(
        admin,
        ResourceType(
            0,
            org.id,
            "Sauna session",
            30,
            slot_interval_minutes=30,
            max_slots_per_booking=4,
            price_amount=0,
            hours=OpeningHours(dict.fromkeys(WEEKDAYS, (Interval("07:00", "22:00"),))),
        ),
    )
    tokens = {}
    for name, type_id, capacity in [
        ("Massage room 1", massage.id, 1),
        ("Massage room 2", massage.id, 1),
        ("Sauna", sauna.id, 8),
    ]:
        resource = await catalog.create_resource(admin, Resource(0, org.id, type_id, name, capacity))
        tokens[name] = resource.public_booking_token
    return DemoInfo(True, org.id, DEMO_EMAIL, password, DEMO_SLUG, tokens)
