"""Customer self-service by manage token: `/api/public/reservations/{manageToken}`."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import Parameter

from application import self_service
from application.context import Context
from entrypoints.http import present
from entrypoints.http.schemas.public import (
    AmountOut,
    ManageCancelBody,
    ManagedCancellationOut,
    ManagedOut,
    NamedOut,
    OrganisationRefOut,
    RefundViewOut,
)

ManageToken = Annotated[str, Parameter(min_length=1, max_length=128)]


def managed_out(found: self_service.ManagedBooking) -> ManagedOut:
    r, org, rt = found.reservation, found.organisation, found.resource_type
    return ManagedOut(
        reference=r.reference,
        status=r.status.value,
        payment_status=r.payment_status.value,
        start_time=present.utc(r.start_time),  # type: ignore[arg-type]
        end_time=present.utc(r.end_time),  # type: ignore[arg-type]
        quantity=r.quantity,
        organisation=OrganisationRefOut(org.slug, org.name),
        resource_type=NamedOut(r.resource_type_id, rt.name if rt else ""),
        quote=present.quote(r.quote),
        cancellation_policy_snapshot=present.policy(r.cancellation_policy_snapshot),
        refund_if_cancelled_now=AmountOut(found.refund_if_cancelled_now, r.quote.currency),
    )


class ManageController(Controller):
    path = "/api/public/reservations/{manage_token:str}"
    tags = ["public booking"]
    security = [{}]

    @get("/", opt={"rate_limit": "PUBLIC_MANAGE"})
    async def view(self, manage_token: ManageToken, ctx: NamedDependency[Context]) -> ManagedOut:
        return managed_out(await self_service.view(ctx, manage_token))

    @post("/cancel", status_code=200, opt={"rate_limit": "PUBLIC_MANAGE"})
    async def cancel(
        self, manage_token: ManageToken, ctx: NamedDependency[Context], data: ManageCancelBody | None = None
    ) -> ManagedCancellationOut:
        found, refund = await self_service.cancel(ctx, manage_token, (data or ManageCancelBody()).reason)
        return ManagedCancellationOut(
            managed_out(found), RefundViewOut(refund.eligible, refund.amount, refund.currency, refund.status)
        )
