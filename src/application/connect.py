"""Stripe Connect onboarding of an organisation (owners only) and its status."""

from __future__ import annotations

from dataclasses import dataclass

from application.access import no_api_keys
from application.context import Context
from domain.access import Role
from domain.catalog import StripeAccount
from domain.errors import Forbidden, NotFound
from domain.identity import Caller


@dataclass(frozen=True)
class ConnectStatus:
    account: StripeAccount
    onboarding_url: str | None = None


async def _role(ctx: Context, caller: Caller, organisation_id: int) -> Role:
    no_api_keys(caller)
    async with ctx.uow() as uow:
        role = await uow.memberships.role(organisation_id, caller.user_id)
    if role is None:
        raise NotFound("no such organisation")
    return role


async def connect(ctx: Context, caller: Caller, organisation_id: int) -> ConnectStatus:
    """Create the connected account once, refresh its state, and hand out an onboarding link until done."""
    if await _role(ctx, caller, organisation_id) != Role.OWNER:
        raise Forbidden("only an owner manages payments")
    async with ctx.uow() as uow:
        org = await uow.organisations.by_id(organisation_id)
        user = await uow.users.by_id(caller.user_id)
    if org is None:
        raise NotFound("no such organisation")
    account_id = org.stripe.account_id
    if account_id is None:
        email = user.email if user else None
        account_id = await ctx.gateway.create_account(org.id, email, f"account:{org.id}")
    state = await ctx.gateway.retrieve_account(account_id)
    account = StripeAccount(account_id, state.charges_enabled, state.payouts_enabled, state.details_submitted)
    async with ctx.uow() as uow:
        await uow.organisations.set_stripe(org.id, account)
        await uow.commit()
    if account.status == "connected":
        return ConnectStatus(account)
    here = f"{ctx.policy.public_base_url}/api/organisations/{org.id}/stripe/connect"
    return ConnectStatus(account, await ctx.gateway.onboarding_link(account_id, here, here))


async def connect_status(ctx: Context, caller: Caller, organisation_id: int) -> ConnectStatus:
    """The organisation's payment account as Stripe last described it (admins and owners)."""
    if not (await _role(ctx, caller, organisation_id)).at_least(Role.ADMIN):
        raise Forbidden("that needs the admin role or higher")
    async with ctx.uow() as uow:
        org = await uow.organisations.by_id(organisation_id)
    if org is None:
        raise NotFound("no such organisation")
    return ConnectStatus(org.stripe)
