"""Reservations as rows: the statements that write and read them, and the mapping to the domain."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import text

from adapters.postgres.mappers import event_payload, policy_from_json, policy_to_json
from application.ports import Usage
from domain.allocation import Allocation, Occupancy
from domain.money import Quote
from domain.reservation import Customer, Reservation
from domain.status import PaymentStatus, ReservationStatus
from domain.stays import BookingUnit, Stay

# Holding allocations of these resources overlapping the window: one scan of the GiST index.
OCCUPANCY = text(
    """
    SELECT resource_id, quantity, occupied_from, occupied_until, hold_expires_at, reservation_id
      FROM reservation_allocations
     WHERE holding
       AND int8range(resource_id, resource_id, '[]') && int8range(:low, :high, '[]')
       AND tstzrange(occupied_from, occupied_until) && tstzrange(:start, :end)
       AND resource_id = ANY(:ids)
       AND reservation_id <> :exclude
    """
)


def usage_of(rows: Sequence[Any], now: datetime) -> Usage:
    """Rows of holding allocations split into what takes capacity and the lapsed holds."""
    occupancies, lapsed = [], []
    for r in rows:
        if r["hold_expires_at"] is not None and r["hold_expires_at"] <= now:
            lapsed.append(r["reservation_id"])
        else:
            occupancies.append(
                Occupancy(r["resource_id"], r["quantity"], r["occupied_from"], r["occupied_until"])
            )
    return Usage(occupancies, sorted(set(lapsed)))


COLUMNS = (
    "organisation_id",
    "resource_type_id",
    "reference",
    "start_time",
    "end_time",
    "quantity",
    "status",
    "payment_status",
    "requires_payment",
    "customer_name",
    "customer_email",
    "customer_phone",
    "notes",
    "source",
    "quote_unit_amount",
    "quote_units",
    "quote_subtotal",
    "quote_service_fee",
    "quote_taxes",
    "quote_total",
    "quote_currency",
    "payment_required_snapshot",
    "approval_required",
    "cancellation_policy_snapshot",
    "allocation_mode",
    "hold_expires_at",
    "stripe_checkout_session_id",
    "checkout_attempt",
    "confirmed_at",
    "cancelled_at",
    "cancel_reason",
    "created_by_user_id",
    "api_key_id",
    "manage_token_hash",
    "manage_token_nonce",
    "booking_unit",
    "stay_start_date",
    "stay_end_date",
    "adults",
    "children",
    "customer_user_id",
    "dispute_status",
)
_CASTS = {"cancellation_policy_snapshot": "jsonb"}
_VALUES = ", ".join(f"CAST(:{c} AS {_CASTS[c]})" if c in _CASTS else f":{c}" for c in COLUMNS)

# A reservation's allocations, sorted by resource so concurrent writers take the database's locks in order.
_ALLOCATION_ROWS = """
    SELECT r.organisation_id, r.id, x.resource_id, x.quantity,
           r.start_time - make_interval(mins => t.buffer_before_minutes),
           r.end_time + make_interval(mins => t.buffer_after_minutes)
      FROM {source} r
      JOIN resource_types t ON t.id = r.resource_type_id
     CROSS JOIN unnest(CAST(:alloc_resources AS bigint[]), CAST(:alloc_quantities AS integer[]))
           AS x(resource_id, quantity)
     {where}
     ORDER BY x.resource_id
"""
_ALLOCATION_INSERT = (
    "INSERT INTO reservation_allocations "
    "(organisation_id, reservation_id, resource_id, quantity, occupied_from, occupied_until)"
)
# Built from the constant column names above; every value is a bound parameter.
# The reservation's events go to the outbox in the same statement, so in the same transaction.
_EVENTS_INSERT = (
    "INSERT INTO outbox (organisation_id, reservation_id, type, payload, occurred_at) "
    "SELECT r.organisation_id, r.id, e.type, e.payload, e.occurred_at FROM r CROSS JOIN "
    "unnest(CAST(:event_types AS text[]), CAST(:event_payloads AS jsonb[]), "
    "CAST(:event_times AS timestamptz[])) AS e(type, payload, occurred_at)"
)
INSERT = text(
    f"WITH r AS (INSERT INTO reservations ({', '.join(COLUMNS)}) VALUES ({_VALUES}) RETURNING *), "  # noqa: S608
    f"a AS ({_ALLOCATION_INSERT} {_ALLOCATION_ROWS.format(source='r', where='')} RETURNING 1), "
    f"o AS ({_EVENTS_INSERT} RETURNING 1) "
    "SELECT r.* FROM r"
)
ALLOCATE = text(
    _ALLOCATION_INSERT
    + _ALLOCATION_ROWS.format(
        source="reservations", where="WHERE r.id = :reservation_id AND r.organisation_id = :organisation_id"
    )
)


def reservation_values(r: Reservation) -> dict[str, Any]:
    return {
        "organisation_id": r.organisation_id,
        "resource_type_id": r.resource_type_id,
        "reference": r.reference,
        "start_time": r.start_time,
        "end_time": r.end_time,
        "quantity": r.quantity,
        "status": r.status.value,
        "payment_status": r.payment_status.value,
        "requires_payment": r.requires_payment,
        "customer_name": r.customer.name,
        "customer_email": r.customer.email,
        "customer_phone": r.customer.phone,
        "notes": r.notes,
        "source": r.source,
        "quote_unit_amount": r.quote.unit_amount,
        "quote_units": r.quote.units,
        "quote_subtotal": r.quote.subtotal,
        "quote_service_fee": r.quote.service_fee,
        "quote_taxes": r.quote.taxes,
        "quote_total": r.quote.total,
        "quote_currency": r.quote.currency,
        "payment_required_snapshot": r.payment_required_snapshot,
        "approval_required": r.approval_required,
        "cancellation_policy_snapshot": policy_to_json(r.cancellation_policy_snapshot),
        "allocation_mode": r.allocation_mode,
        "hold_expires_at": r.hold_expires_at,
        "stripe_checkout_session_id": r.stripe_checkout_session_id,
        "checkout_attempt": r.checkout_attempt,
        "confirmed_at": r.confirmed_at,
        "cancelled_at": r.cancelled_at,
        "cancel_reason": r.cancel_reason,
        "created_by_user_id": r.created_by_user_id,
        "api_key_id": r.api_key_id,
        "manage_token_nonce": r.manage_token_nonce,
        "booking_unit": r.booking_unit.value,
        "stay_start_date": r.stay.first if r.stay else None,
        "stay_end_date": r.stay.last if r.stay else None,
        "adults": r.adults,
        "children": r.children,
        "customer_user_id": r.customer_user_id,
        "dispute_status": r.dispute_status,
    }


def reservation(row: Mapping[Any, Any]) -> Reservation:
    return Reservation(
        id=row["id"],
        organisation_id=row["organisation_id"],
        resource_type_id=row["resource_type_id"],
        reference=row["reference"],
        start_time=row["start_time"],
        end_time=row["end_time"],
        quantity=row["quantity"],
        status=ReservationStatus(row["status"]),
        payment_status=PaymentStatus(row["payment_status"]),
        quote=Quote(
            row["quote_unit_amount"],
            row["quote_units"],
            row["quote_subtotal"],
            row["quote_service_fee"],
            row["quote_taxes"],
            row["quote_total"],
            row["quote_currency"],
        ),
        customer=Customer(row["customer_name"], row["customer_email"], row["customer_phone"]),
        notes=row["notes"],
        source=row["source"],
        requires_payment=row["requires_payment"],
        payment_required_snapshot=row["payment_required_snapshot"],
        approval_required=row["approval_required"],
        cancellation_policy_snapshot=policy_from_json(row["cancellation_policy_snapshot"]),
        allocations=[Allocation(rid, q) for rid, q in (row["allocations"] or [])],
        allocation_mode=row["allocation_mode"],
        hold_expires_at=row["hold_expires_at"],
        stripe_checkout_session_id=row["stripe_checkout_session_id"],
        checkout_attempt=row["checkout_attempt"],
        checkout_claimed_until=row.get("checkout_claimed_until"),
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        confirmed_at=row["confirmed_at"],
        cancelled_at=row["cancelled_at"],
        cancel_reason=row["cancel_reason"],
        created_by_user_id=row["created_by_user_id"],
        api_key_id=row["api_key_id"],
        manage_token_nonce=row["manage_token_nonce"],
        deleted_at=row.get("deleted_at"),
        stay=_stay(row),
        adults=row["adults"],
        children=row["children"],
        customer_user_id=row["customer_user_id"],
        dispute_status=row["dispute_status"],
        stripe_payment_intent_id=row["stripe_payment_intent_id"],
    )


def _stay(row: Mapping[Any, Any]) -> Stay | None:
    if row["booking_unit"] == BookingUnit.SLOT:
        return None
    first: date = row["stay_start_date"]
    return Stay(BookingUnit(row["booking_unit"]), first, (row["stay_end_date"] - first).days)


def _positional(sql: str, names: Sequence[str]) -> str:
    """The statement with :name parameters as asyncpg's $n, in the order of `names`."""
    for index, name in sorted(enumerate(names, 1), key=lambda item: -len(item[1])):
        sql = sql.replace(f":{name}", f"${index}")
    return sql


INSERT_NAMES = (
    *COLUMNS,
    "alloc_resources",
    "alloc_quantities",
    "event_types",
    "event_payloads",
    "event_times",
)


def insert_values(r: Reservation, manage_token_hash: str | None) -> dict[str, Any]:
    """The parameters of INSERT for a new reservation, its allocations and its events."""
    values = reservation_values(r) | {"manage_token_hash": manage_token_hash}
    values["cancellation_policy_snapshot"] = json.dumps(values["cancellation_policy_snapshot"])
    values["alloc_resources"] = [a.resource_id for a in r.allocations]
    values["alloc_quantities"] = [a.quantity for a in r.allocations]
    values["event_types"] = [e.type for e in r.events]
    values["event_payloads"] = [json.dumps(event_payload(e, r)) for e in r.events]
    values["event_times"] = [e.occurred_at for e in r.events]
    return values


INSERT_POSITIONAL = _positional(str(INSERT.text), INSERT_NAMES)
