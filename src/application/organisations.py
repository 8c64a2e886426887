"""Organisations, their settings and their members."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from application.access import no_api_keys
from application.ports import Clock, MemberView, Page, PageRequest, UnitOfWork, UnitOfWorkFactory
from domain.access import Role
from domain.cancellation import DEFAULT_POLICY, PolicyTier, validate_policy
from domain.catalog import (
    Organisation,
    validate_bps,
    validate_brand_color,
    validate_currency,
    validate_description,
    validate_hours,
    validate_locale,
    validate_slug,
    validate_timezone,
)
from domain.errors import AlreadyExists, Conflict, Forbidden, InvalidInput, NotFound
from domain.identity import Caller, validate_email, validate_name

SETTINGS = (
    "name",
    "timezone",
    "currency",
    "service_fee_bps",
    "tax_bps",
    "cancellation_policy",
    "public_booking_enabled",
    "reschedule_min_hours_before",
    "locale",
    "notification_email",
    "description",
    "brand_color",
)


@dataclass(frozen=True)
class NewOrganisation:
    name: str
    slug: str
    timezone: str
    currency: str
    service_fee_bps: int = 0
    tax_bps: int = 0
    cancellation_policy: tuple[PolicyTier, ...] | None = None
    public_booking_enabled: bool = True
    reschedule_min_hours_before: int = 24
    locale: str = "en"
    notification_email: str | None = None
    description: str | None = None
    brand_color: str | None = None


def _validated(org: Organisation) -> Organisation:
    return replace(
        org,
        name=validate_name(org.name),
        slug=validate_slug(org.slug),
        timezone=validate_timezone(org.timezone),
        currency=validate_currency(org.currency),
        service_fee_bps=validate_bps(org.service_fee_bps, "serviceFeeBps"),
        tax_bps=validate_bps(org.tax_bps, "taxBps"),
        cancellation_policy=validate_policy(org.cancellation_policy),
        reschedule_min_hours_before=validate_hours(org.reschedule_min_hours_before),
        locale=validate_locale(org.locale),
        notification_email=(
            None
            if org.notification_email is None
            else validate_email(org.notification_email, "notificationEmail")
        ),
        description=validate_description(org.description),
        brand_color=validate_brand_color(org.brand_color),
    )


async def _membership(uow: UnitOfWork, caller: Caller, organisation_id: int, least: Role) -> Role:
    no_api_keys(caller)
    role = await uow.memberships.role(organisation_id, caller.user_id)
    if role is None:
        raise NotFound("no such organisation")
    if not role.at_least(least):
        raise Forbidden(f"that needs the {least} role or higher")
    return role


def _grantable(own: Role, role: Role) -> None:
    if role == Role.OWNER and own != Role.OWNER:
        raise Forbidden("only an owner can make an owner")


async def _target(uow: UnitOfWork, organisation_id: int, user_id: int, own: Role) -> Role:
    current = await uow.memberships.role(organisation_id, user_id)
    if current is None:
        raise NotFound("no such member")
    if current == Role.OWNER and own != Role.OWNER:
        raise Forbidden("only an owner can change an owner")
    return current


class OrganisationAdmin:
    """Organisations, their settings and their members, as their owners and admins manage them."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow, self.clock = uow, clock

    async def create_organisation(self, caller: Caller, new: NewOrganisation) -> Organisation:
        """A new organisation with the caller as its owner (and active organisation if they had none)."""
        no_api_keys(caller)
        policy = DEFAULT_POLICY if new.cancellation_policy is None else new.cancellation_policy
        draft = _validated(
            Organisation(
                0,
                new.slug,
                new.name,
                new.timezone,
                new.currency,
                new.service_fee_bps,
                new.tax_bps,
                None,
                policy,
                new.public_booking_enabled,
                new.reschedule_min_hours_before,
                locale=new.locale,
                notification_email=new.notification_email,
                description=new.description,
                brand_color=new.brand_color,
            )
        )
        async with self.uow() as uow:
            if await uow.organisations.by_slug(draft.slug) is not None:
                raise AlreadyExists("that slug is taken")
            org = await uow.organisations.add(draft)
            await uow.memberships.add(org.id, caller.user_id, Role.OWNER)
            user = await uow.users.by_id(caller.user_id)
            if user is not None and user.active_organisation_id is None:
                await uow.users.set_active_organisation(user.id, org.id)
            await uow.commit()
        return org

    async def my_organisations(self, caller: Caller, page: PageRequest) -> Page[Organisation]:
        no_api_keys(caller)
        async with self.uow() as uow:
            return await uow.organisations.of_user(caller.user_id, page)

    async def get_organisation(self, caller: Caller, organisation_id: int) -> Organisation:
        async with self.uow() as uow:
            await _membership(uow, caller, organisation_id, Role.VIEWER)
            org = await uow.organisations.by_id(organisation_id)
        if org is None:
            raise NotFound("no such organisation")
        return org

    async def update_organisation(
        self, caller: Caller, organisation_id: int, changes: dict[str, Any]
    ) -> Organisation:
        """Change settings (admin or owner); unknown or read-only settings are refused."""
        unknown = set(changes) - set(SETTINGS)
        if unknown:
            raise InvalidInput(f"cannot change {', '.join(sorted(unknown))}", sorted(unknown)[0])
        async with self.uow() as uow:
            await _membership(uow, caller, organisation_id, Role.ADMIN)
            org = await uow.organisations.by_id(organisation_id)
            if org is None:
                raise NotFound("no such organisation")
            updated = await uow.organisations.update(_validated(replace(org, **changes)))
            await uow.commit()
        return updated

    async def members(self, caller: Caller, organisation_id: int, page: PageRequest) -> Page[MemberView]:
        async with self.uow() as uow:
            await _membership(uow, caller, organisation_id, Role.VIEWER)
            return await uow.memberships.members(organisation_id, page)

    async def add_member(self, caller: Caller, organisation_id: int, email: str, role: Role) -> MemberView:
        """Add an existing user by e-mail (admin or owner)."""
        async with self.uow() as uow:
            own = await _membership(uow, caller, organisation_id, Role.ADMIN)
            _grantable(own, role)
            user = await uow.users.by_email(email.strip())
            if user is None:
                raise NotFound("no user with that e-mail; they register first")
            if await uow.memberships.role(organisation_id, user.id) is not None:
                raise AlreadyExists("that user is already a member")
            await uow.memberships.add(organisation_id, user.id, role)
            member = await uow.memberships.member(organisation_id, user.id)
            await uow.commit()
        assert member is not None
        return member

    async def change_member_role(
        self, caller: Caller, organisation_id: int, user_id: int, role: Role
    ) -> MemberView:
        async with self.uow() as uow:
            own = await _membership(uow, caller, organisation_id, Role.ADMIN)
            current = await _target(uow, organisation_id, user_id, own)
            _grantable(own, role)
            if (
                current == Role.OWNER
                and role != Role.OWNER
                and await uow.memberships.owner_count(organisation_id) <= 1
            ):
                raise Conflict("an organisation keeps at least one owner")
            await uow.memberships.set_role(organisation_id, user_id, role)
            member = await uow.memberships.member(organisation_id, user_id)
            await uow.commit()
        assert member is not None
        return member

    async def remove_member(self, caller: Caller, organisation_id: int, user_id: int) -> None:
        async with self.uow() as uow:
            own = await _membership(uow, caller, organisation_id, Role.ADMIN)
            current = await _target(uow, organisation_id, user_id, own)
            if current == Role.OWNER and await uow.memberships.owner_count(organisation_id) <= 1:
                raise Conflict("an organisation keeps at least one owner")
            await uow.memberships.remove(organisation_id, user_id)
            # Their keys would come back to life if they were added again: removal ends them for good.
            await uow.api_keys.revoke_created_by(organisation_id, user_id, self.clock.now())
            await uow.commit()

    async def set_commission(self, slug: str, bps: int | None) -> None:
        """The platform operator's commission override for one organisation (None: the platform rate)."""
        if bps is not None:
            validate_bps(bps, "commissionBps")
        async with self.uow() as uow:
            if not await uow.organisations.set_commission(slug, bps):
                raise NotFound(f"no organisation with slug {slug!r}")
            await uow.commit()
