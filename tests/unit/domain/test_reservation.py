"""The reservation's own rules: when another payment attempt may start, where a payment takes it."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.money import Quote
from domain.reservation import MAX_PAYMENT_RETRIES, Reservation
from domain.status import PaymentStatus, ReservationStatus

NOW = datetime(2026, 5, 1, 10, tzinfo=UTC)
S, P = ReservationStatus, PaymentStatus


def held(**fields: object) -> Reservation:
    base: dict[str, object] = {
        "id": 1,
        "organisation_id": 1,
        "resource_type_id": 1,
        "reference": "ACM-222222",
        "start_time": NOW + timedelta(days=3),
        "end_time": NOW + timedelta(days=3, hours=1),
        "quantity": 1,
        "status": S.PENDING_PAYMENT,
        "payment_status": P.PENDING,
        "quote": Quote(1000, 1, 1000, 0, 0, 1000, "eur"),
        "requires_payment": True,
        "checkout_attempt": 1,
        "hold_expires_at": NOW + timedelta(minutes=20),
    }
    return Reservation(**(base | fields))  # type: ignore[arg-type]


def test_a_hold_awaiting_payment_may_be_retried() -> None:
    assert held().payment_retry_open(NOW)
    assert held(status=S.EXPIRED, payment_status=P.EXPIRED).payment_retry_open(NOW)
    assert held(payment_status=P.FAILED).payment_retry_open(NOW)


@pytest.mark.parametrize(
    "fields",
    [
        {"payment_status": P.PROCESSING},
        {"payment_status": P.SUCCEEDED, "status": S.CONFIRMED},
        {"payment_status": P.REFUNDED, "status": S.EXPIRED},
        {"status": S.CANCELLED},
        {"requires_payment": False},
        {"checkout_attempt": MAX_PAYMENT_RETRIES + 1},  # the reserve's session and five retries
        {"checkout_claimed_until": NOW + timedelta(seconds=30)},  # another retry is running
        {"deleted_at": NOW - timedelta(minutes=1)},
    ],
)
def test_no_retry_while_money_moves_after_five_or_during_another(fields: dict[str, object]) -> None:
    assert not held(**fields).payment_retry_open(NOW)


def test_a_stale_retry_claim_does_not_block_forever() -> None:
    assert held(checkout_claimed_until=NOW - timedelta(seconds=1)).payment_retry_open(NOW)


def test_a_payment_confirms_or_waits_for_approval() -> None:
    assert held().paid_status == S.CONFIRMED
    assert held(approval_required=True).paid_status == S.PENDING
