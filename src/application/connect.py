"""Stripe Connect onboarding of an organisation (owners only) and its status."""

from __future__ import annotations

from dataclasses import dataclass

from application.access import no_api_keys
from application.payment_ports import PaymentGateway
from application.ports import UnitOfWorkFactory
from domain.access import Role
from domain.catalog import StripeAccount
from domain.errors import Forbidden, NotFound
from domain.identity import Caller


@dataclass(frozen=True)
class ConnectStatus:
    account: StripeAccount
    onboarding_url: str | None = None


class StripeConnect:
    """Stripe Connect onboarding of an organisation (owners only) and its status."""

    def __init__(self, uow: UnitOfWorkFactory, gateway: PaymentGateway) -> None:
        self.uow, self.gateway = uow, gateway

    async def _role(self, caller: Caller, organisation_id: int) -> Role:
        no_api_keys(caller)
        async with self.uow() as uow:
            role = await uow.memberships.role(organisation_id, caller.user_id)
        if role is None:
            raise NotFound("no such organisation")
        return role

    async def connect(self, caller: Caller, organisation_id: int, return_url: str) -> ConnectStatus:
        """Create the connected account once, refresh its state, and hand out an onboarding link (back to
        `return_url`) until onboarding is done."""
        if await self._role(caller, organisation_id) != Role.OWNER:
            raise Forbidden("only an owner manages payments")
        async with self.uow() as uow:
            org = await uow.organisations.by_id(organisation_id)
            user = await uow.users.by_id(caller.user_id)
        if org is None:
            raise NotFound("no such organisation")
        account_id = org.stripe.account_id
        if account_id is None:
            email = user.email if user else None
            account_id = await self.gateway.create_account(org.id, email, f"account:{org.id}")
        state = await self.gateway.retrieve_account(account_id)
        account = StripeAccount(
            account_id, state.charges_enabled, state.payouts_enabled, state.details_submitted
        )
        async with self.uow() as uow:
            await uow.organisations.set_stripe(org.id, account)
            await uow.commit()
        if account.status == "connected":
            return ConnectStatus(account)
        return ConnectStatus(account, await self.gateway.onboarding_link(account_id, return_url, return_url))

    async def connect_status(self, caller: Caller, organisation_id: int) -> ConnectStatus:
        """The organisation's payment account as Stripe last described it (admins and owners)."""
        if not (await self._role(caller, organisation_id)).at_least(Role.ADMIN):
            raise Forbidden("that needs the admin role or higher")
        async with self.uow() as uow:
            org = await uow.organisations.by_id(organisation_id)
        if org is None:
            raise NotFound("no such organisation")
        return ConnectStatus(org.stripe)
