"""Customer self-service by manage token: `/api/public/reservations/{manageToken}`."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import Parameter

from application import self_service
from entrypoints.composition import Runtime, UseCases
from entrypoints.http import present
from entrypoints.http.idempotency import idempotent, json_response
from entrypoints.http.schemas.common import utc
from entrypoints.http.schemas.public import (
    AmountOut,
    ManageCancelBody,
    ManagedCancellationOut,
    ManagedOut,
    NamedOut,
    OrganisationRefOut,
    RefundViewOut,
    RescheduleBody,
    RescheduledOut,
)

ManageToken = Annotated[str, Parameter(min_length=1, max_length=128)]


def managed_out(found: self_service.ManagedBooking) -> ManagedOut:
    r, org, rt = found.reservation, found.organisation, found.resource_type
    dates = present.stay_fields(r.stay)
    return ManagedOut(
        reference=r.reference,
        status=r.status.value,
        payment_status=r.payment_status.value,
        start_time=utc(r.start_time),  # type: ignore[arg-type]
        end_time=utc(r.end_time),  # type: ignore[arg-type]
        quantity=r.quantity,
        booking_unit=r.booking_unit.value,
        check_in=dates.check_in,
        check_out=dates.check_out,
        nights=dates.nights,
        start_date=dates.start_date,
        days=dates.days,
        adults=r.adults,
        children=r.children,
        version=r.version,
        organisation=OrganisationRefOut(org.slug, org.name),
        resource_type=NamedOut(r.resource_type_id, rt.name if rt else ""),
        quote=present.quote(r.quote),
        cancellation_policy_snapshot=present.policy(r.cancellation_policy_snapshot),
        refund_if_cancelled_now=AmountOut(found.refund_if_cancelled_now, r.quote.currency),
        reservation_id=r.id,
        created_at=utc(r.created_at),
        dispute_status=r.dispute_status,
    )


class ManageController(Controller):
    path = "/api/public/reservations/{manage_token:str}"
    tags = ["public booking"]
    security = [{}]

    @get("/", opt={"rate_limit": "PUBLIC_MANAGE"})
    async def view(self, manage_token: ManageToken, cases: NamedDependency[UseCases]) -> ManagedOut:
        return managed_out(await cases.self_service.view(manage_token))

    @post(
        "/cancel", status_code=200, opt={"rate_limit": "PUBLIC_MANAGE", "idempotent": True, "provider": True}
    )
    async def cancel(
        self,
        request: Request[Any, Any, State],
        manage_token: ManageToken,
        cases: NamedDependency[UseCases],
        state: State,
        data: ManageCancelBody | None = None,
    ) -> Response[ManagedCancellationOut]:
        runtime: Runtime = state.runtime
        reason = (data or ManageCancelBody()).reason

        async def run() -> Response[Any]:
            found, refund = await cases.self_service.cancel(manage_token, reason)
            out = ManagedCancellationOut(
                managed_out(found),
                RefundViewOut(refund.eligible, refund.amount, refund.currency, refund.status),
            )
            return json_response(out, 200)

        return await _once(request, cases, runtime, manage_token, run)

    @post("/reschedule", status_code=200, opt={"rate_limit": "PUBLIC_MANAGE", "idempotent": True})
    async def reschedule(
        self,
        request: Request[Any, Any, State],
        manage_token: ManageToken,
        data: RescheduleBody,
        cases: NamedDependency[UseCases],
        state: State,
    ) -> Response[RescheduledOut]:
        runtime: Runtime = state.runtime

        async def run() -> Response[Any]:
            found = await cases.self_service.reschedule(manage_token, data.when())
            return json_response(RescheduledOut(managed_out(found)), 200)

        return await _once(request, cases, runtime, manage_token, run)


async def _once(
    request: Request[Any, Any, State],
    cases: UseCases,
    runtime: Runtime,
    manage_token: str,
    run: Callable[[], Awaitable[Response[Any]]],
) -> Response[Any]:
    """Run a change by manage token once per Idempotency-Key (scoped to the token), or plainly without."""
    if request.headers.get("idempotency-key") is None:
        return await run()
    organisation_id = await cases.self_service.organisation_of(manage_token)
    scope = "manage:" + hashlib.sha256(manage_token.encode()).hexdigest()
    return await idempotent(request, runtime.idempotency, organisation_id, scope, run)
