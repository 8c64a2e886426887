"""Staff reservations of the active organisation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import Parameter

from application import reservations as booking
from application.access import authorize
from application.ports import PageRequest, ReservationFilter
from domain.errors import InvalidInput
from domain.identity import Caller
from domain.reservation import Customer, Reservation
from entrypoints.composition import Runtime, UseCases
from entrypoints.http import present
from entrypoints.http.idempotency import caller_scope, idempotent, json_response
from entrypoints.http.schemas.common import STATUS_FILTER, ascii_int, pagination
from entrypoints.http.schemas.reservations import (
    CancelBody,
    CancellationOut,
    CustomerBody,
    RefundOutcomeOut,
    ReservationBody,
    ReservationList,
    ReservationOut,
    ReservationPatch,
)

PathId = Annotated[int, Parameter(ge=1, le=9_007_199_254_740_991)]

StatusFilter = Annotated[
    list[str] | None, Parameter(query="status", max_items=10, required=False, schema_extra=STATUS_FILTER)
]


def _customer(body: CustomerBody | None) -> Customer:
    return Customer(body.name, body.email, body.phone) if body else Customer()


def _etag(reservation: Reservation) -> dict[str, str]:
    return {"ETag": f'"{reservation.version}"'}


def _if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    version = ascii_int(value.strip().removeprefix("W/").strip('"'))
    if version is None:
        raise InvalidInput('If-Match is a version in quotes, e.g. "3"', "If-Match")
    return version


class ReservationsController(Controller):
    path = "/api/reservations"
    tags = ["reservations"]

    @post("/", status_code=201, opt={"idempotent": True, "etag": True})
    async def create(
        self,
        request: Request[Any, Any, State],
        data: ReservationBody,
        cases: NamedDependency[UseCases],
        state: State,
        caller: NamedDependency[Caller],
    ) -> Response[ReservationOut]:
        runtime: Runtime = state.runtime
        new = booking.NewReservation(
            data.when(),
            data.quantity,
            _customer(data.customer_info),
            data.notes,
            data.resource_type_id,
            data.resource_id,
            data.resource_ids,
            data.status,
            data.adults,
            data.children,
        )

        async def run() -> Response[bytes]:
            created = await cases.create_reservation(caller, new)
            return json_response(present.reservation(created), 201, _etag(created))

        organisation_id, _ = authorize(caller, booking.WRITE)
        return await idempotent(request, runtime.idempotency, organisation_id, caller_scope(caller), run)

    @get("/")
    async def list_reservations(
        self,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
        page: NamedDependency[PageRequest],
        resource_id: Annotated[
            int | None, Parameter(query="resourceId", ge=1, le=9_007_199_254_740_991, required=False)
        ] = None,
        resource_type_id: Annotated[
            int | None, Parameter(query="resourceTypeId", ge=1, le=9_007_199_254_740_991, required=False)
        ] = None,
        status: StatusFilter = None,
        start_from: Annotated[datetime | None, Parameter(query="startFrom", required=False)] = None,
        end_to: Annotated[datetime | None, Parameter(query="endTo", required=False)] = None,
        reference: Annotated[
            str | None, Parameter(query="reference", min_length=1, max_length=40, required=False)
        ] = None,
        customer_email: Annotated[
            str | None, Parameter(query="customerEmail", min_length=1, max_length=254, required=False)
        ] = None,
    ) -> ReservationList:
        for name, value in (("startFrom", start_from), ("endTo", end_to)):
            if value is not None and value.tzinfo is None:
                raise InvalidInput("an instant needs an offset or Z", name)
        statuses = tuple(s for value in status or [] for s in value.split(",") if s)
        query = ReservationFilter(
            resource_id, resource_type_id, statuses, start_from, end_to, reference, customer_email
        )
        found = await cases.reservations.page(caller, query, page)
        return ReservationList([present.reservation(r) for r in found.items], pagination(found))  # type: ignore[arg-type]

    @get("/{reservation_id:int}", opt={"etag": True})
    async def get_one(
        self, reservation_id: PathId, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> Response[ReservationOut]:
        found = await cases.reservations.get(caller, reservation_id)
        return Response(present.reservation(found), headers=_etag(found))

    @patch("/{reservation_id:int}", opt={"if_match": True, "etag": True})
    async def update(
        self,
        request: Request[Any, Any, State],
        reservation_id: PathId,
        data: ReservationPatch,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
    ) -> Response[ReservationOut]:
        fields = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        for name in ("start_time", "end_time", "check_in", "check_out", "start_date", "days"):
            fields.pop(name, None)
        fields["when"] = data.when()
        for name in ("adults", "children"):
            fields.setdefault(name, booking.UNSET)
        if "customer_info" in fields:
            fields["customer"] = _customer(fields.pop("customer_info"))
        if "notes" not in fields:
            fields["notes"] = booking.UNSET
        changes = booking.ReservationChanges(**fields)
        version = _if_match(request.headers.get("if-match"))
        saved = await cases.update_reservation(caller, reservation_id, changes, version)
        return Response(present.reservation(saved), headers=_etag(saved))

    @delete("/{reservation_id:int}", status_code=204)
    async def remove(
        self, reservation_id: PathId, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> None:
        await cases.delete_reservation(caller, reservation_id)

    @post(
        "/{reservation_id:int}/cancel",
        status_code=200,
        opt={"idempotent": True, "etag": True, "provider": True},
    )
    async def cancel(
        self,
        request: Request[Any, Any, State],
        reservation_id: PathId,
        cases: NamedDependency[UseCases],
        state: State,
        caller: NamedDependency[Caller],
        data: CancelBody | None = None,
    ) -> Response[CancellationOut]:
        runtime: Runtime = state.runtime
        body = data or CancelBody()

        async def run() -> Response[bytes]:
            done = await cases.cancel_reservation(caller, reservation_id, body.reason, body.refund)
            refund = done.refund
            out = CancellationOut(
                present.reservation(done.reservation),
                RefundOutcomeOut(refund.eligible, refund.amount, refund.currency, refund.status),
            )
            return json_response(out, 200, _etag(done.reservation))

        organisation_id, _ = authorize(caller, booking.WRITE)
        return await idempotent(request, runtime.idempotency, organisation_id, caller_scope(caller), run)
