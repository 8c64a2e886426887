"""A customer's own bookings: `/api/me/bookings` (API.md section 13), with the caller's access token."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import Parameter

from application.ports import PageRequest
from domain.identity import Caller
from entrypoints.composition import UseCases
from entrypoints.http.routes.manage import managed_out
from entrypoints.http.routes.public import reserved_out
from entrypoints.http.schemas.common import pagination
from entrypoints.http.schemas.public import (
    ManageCancelBody,
    ManagedCancellationOut,
    ManagedOut,
    MyBookingList,
    OwnerCheckoutBody,
    PayBody,
    RefundViewOut,
    RescheduleBody,
    RescheduledOut,
    ReserveOut,
)

Reference = Annotated[str, Parameter(min_length=1, max_length=40)]
ICS = "text/calendar"  # Litestar adds the charset


class MeController(Controller):
    path = "/api/me/bookings"
    tags = ["customer"]

    @get("/")
    async def list_mine(
        self,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
        page: NamedDependency[PageRequest],
        status: Annotated[str | None, Parameter(query="status", max_length=200, required=False)] = None,
        upcoming: Annotated[bool | None, Parameter(query="upcoming", required=False)] = None,
    ) -> MyBookingList:
        """The caller's bookings with every organisation, newest start first."""
        found = await cases.customer_bookings.page(caller, status, upcoming, page)
        return MyBookingList([managed_out(b) for b in found.items], pagination(found))  # type: ignore[arg-type]

    @get("/{reference:str}")
    async def one(
        self, reference: Reference, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> ManagedOut:
        return managed_out(await cases.customer_bookings.one(caller, reference))

    @post("/{reference:str}/cancel", status_code=200, opt={"provider": True})
    async def cancel(
        self,
        reference: Reference,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
        data: ManageCancelBody | None = None,
    ) -> ManagedCancellationOut:
        found, refund = await cases.customer_bookings.cancel(
            caller, reference, (data or ManageCancelBody()).reason
        )
        return ManagedCancellationOut(
            managed_out(found), RefundViewOut(refund.eligible, refund.amount, refund.currency, refund.status)
        )

    @post("/{reference:str}/reschedule", status_code=200)
    async def reschedule(
        self,
        reference: Reference,
        data: RescheduleBody,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
    ) -> RescheduledOut:
        return RescheduledOut(
            managed_out(await cases.customer_bookings.reschedule(caller, reference, data.when()))
        )

    @post("/{reference:str}/checkout", status_code=200, opt={"provider": True})
    async def checkout(
        self,
        reference: Reference,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
        data: OwnerCheckoutBody | None = None,
    ) -> ReserveOut:
        """Pay one's own pending booking through a new Checkout Session (the open one ends first)."""
        body = data or OwnerCheckoutBody()
        done, back = await cases.customer_bookings.checkout(
            caller, reference, body.success_url, body.cancel_url
        )
        return reserved_out(done, back)

    @post("/{reference:str}/pay", status_code=200, opt={"provider": True})
    async def pay(
        self,
        reference: Reference,
        data: PayBody,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
    ) -> ReserveOut:
        """Pay one's own booking with a saved card: a PaymentIntent confirmed on the server; `paymentData`
        says `succeeded`, `processing`, `requires_action` (3-D Secure) or `requires_payment_method`."""
        mine = cases.customer_bookings
        done, back = await mine.pay(caller, reference, data.payment_method_id, data.return_url)
        return reserved_out(done, back)

    @get("/{reference:str}/calendar.ics", opt={"media": ICS})
    async def calendar(
        self, reference: Reference, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> Response[bytes]:
        body = await cases.customer_bookings.calendar_file(caller, reference)
        return Response(
            body, media_type=ICS, headers={"content-disposition": 'attachment; filename="booking.ics"'}
        )
