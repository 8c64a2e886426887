"""A small program using the client generated from the server's OpenAPI document, as an integrator would
write it; type-checked with mypy --strict and run against the real server by tests/e2e/test_generated_client.py.
It prints one line per step and exits non-zero on the first surprise."""

from __future__ import annotations

import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from booking_client import AuthenticatedClient, Client
from booking_client.api.catalog import create_resource, create_resource_type
from booking_client.api.identity import login, register
from booking_client.api.organisations import create_organisation
from booking_client.api.public_booking import (
    get_catalog_by_slug,
    get_managed_booking,
    quote_by_slug,
    reserve_by_slug,
)
from booking_client.api.reservations import create_reservation, get_reservation
from booking_client.models import (
    CustomerBody,
    IntervalBody,
    LoginBody,
    ManagedOut,
    OrganisationBody,
    OrganisationOut,
    Problem,
    ProblemCode,
    QuoteBody,
    RegisterBody,
    ReservationBody,
    ReservationOut,
    ReserveBody,
    ReserveOut,
    ResourceBody,
    ResourceOut,
    ResourceTypeBody,
    ResourceTypeOut,
    SlugCatalogOut,
    TokenPairOut,
    UserOut,
    WeeklyHoursBody,
)

T = TypeVar("T")


def expect(answer: T | Problem | None, kind: type[T], step: str) -> T:
    if not isinstance(answer, kind):
        sys.exit(f"{step}: expected {kind.__name__}, got {answer!r}")
    print(f"ok: {step}")
    return answer


def refused(answer: object, code: ProblemCode, step: str) -> Problem:
    if not isinstance(answer, Problem) or answer.code != code:
        sys.exit(f"{step}: expected problem {code.value}, got {answer!r}")
    print(f"ok: {step} -> {answer.status} {answer.code.value}")
    return answer


def main() -> None:
    base = os.environ["BOOKING_URL"]
    anonymous = Client(base_url=base)
    email = f"integrator-{uuid.uuid4().hex[:8]}@example.com"
    expect(
        register.sync(client=anonymous, body=RegisterBody(email, "correct horse battery", "Ida")),
        UserOut,
        "register",
    )
    tokens = expect(
        login.sync(client=anonymous, body=LoginBody(email, "correct horse battery")), TokenPairOut, "login"
    )
    staff = AuthenticatedClient(base_url=base, token=tokens.access_token)

    # The staff flow: an organisation, a type open all day, a resource, a reservation (with an idempotency key).
    slug = f"contract-{uuid.uuid4().hex[:8]}"
    org = expect(
        create_organisation.sync(
            client=staff,
            body=OrganisationBody(name="Contract Spa", slug=slug, timezone="Europe/Berlin", currency="eur"),
        ),
        OrganisationOut,
        "create an organisation",
    )
    act = str(org.id)
    day = [IntervalBody(start="00:00", end="24:00")]
    hours = WeeklyHoursBody(mon=day, tue=day, wed=day, thu=day, fri=day, sat=day, sun=day)
    kind = expect(
        create_resource_type.sync(
            client=staff,
            body=ResourceTypeBody(name="Sauna", slot_minutes=60, weekly_hours=hours, price_amount=2000),
            x_organisation_id=act,
        ),
        ResourceTypeOut,
        "create a resource type",
    )
    room = expect(
        create_resource.sync(
            client=staff,
            body=ResourceBody(name="Sauna 1", resource_type_id=kind.id, capacity=1),
            x_organisation_id=act,
        ),
        ResourceOut,
        "create a resource",
    )
    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    body = ReservationBody(
        resource_id=room.id,
        start_time=start,
        end_time=start + timedelta(hours=1),
        customer_info=CustomerBody(name="Jo", email="jo@example.com"),
    )
    key = f"contract-{uuid.uuid4().hex}"
    made = expect(
        create_reservation.sync(client=staff, body=body, x_organisation_id=act, idempotency_key=key),
        ReservationOut,
        "create a reservation",
    )
    again = expect(
        create_reservation.sync(client=staff, body=body, x_organisation_id=act, idempotency_key=key),
        ReservationOut,
        "the same key replays",
    )
    if again.id != made.id:
        sys.exit("a replay made a second reservation")
    expect(get_reservation.sync(made.id, client=staff, x_organisation_id=act), ReservationOut, "read it back")

    # The public flow, with an anonymous client.
    expect(get_catalog_by_slug.sync(slug, client=anonymous), SlugCatalogOut, "the public catalogue")
    later = start + timedelta(hours=2)
    public = ReserveBody(
        resource_type_id=kind.id,
        start_time=later,
        end_time=later + timedelta(hours=1),
        customer_name="Ana",
        customer_email="ana@example.com",
        customer_phone="+49 30 1",
    )
    booked = expect(
        reserve_by_slug.sync(
            slug, client=anonymous, body=public, idempotency_key=f"click-{uuid.uuid4().hex}"
        ),
        ReserveOut,
        "reserve as a guest",
    )
    token = booked.manage_token
    if not isinstance(token, str):
        sys.exit("no manage token")
    expect(get_managed_booking.sync(token, client=anonymous), ManagedOut, "the manage view")

    # One typed error of each family.
    bad = ReserveBody(
        resource_type_id=kind.id,
        start_time=later,
        end_time=later + timedelta(hours=1),
        customer_name="",
        customer_email="x",
    )
    problem = refused(
        reserve_by_slug.sync(slug, client=anonymous, body=bad), ProblemCode.VALIDATION_ERROR, "400"
    )
    if not problem.errors or not problem.errors[0].field:
        sys.exit("a 400 without the fields it refused")
    refused(
        get_reservation.sync(987_654_321, client=staff, x_organisation_id=act), ProblemCode.NOT_FOUND, "404"
    )
    refused(reserve_by_slug.sync(slug, client=anonymous, body=public), ProblemCode.SLOT_UNAVAILABLE, "409")
    other = ReservationBody(
        resource_id=room.id, start_time=start + timedelta(hours=5), end_time=start + timedelta(hours=6)
    )
    refused(
        create_reservation.sync(client=staff, body=other, x_organisation_id=act, idempotency_key=key),
        ProblemCode.IDEMPOTENCY_KEY_REUSED,
        "422",
    )
    quote = QuoteBody(resource_type_id=kind.id, start_time=later, end_time=later + timedelta(hours=1))
    for _ in range(int(os.environ.get("QUOTES_BEFORE_LIMIT", "3"))):
        quote_by_slug.sync(slug, client=anonymous, body=quote)
    refused(quote_by_slug.sync(slug, client=anonymous, body=quote), ProblemCode.RATE_LIMITED, "429")


if __name__ == "__main__":
    main()
