from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidTransition
from domain.status import ALLOWED, ReservationStatus, check_transition, is_holding

S = ReservationStatus
NOW = datetime(2026, 5, 1, 10, tzinfo=UTC)
PAST = NOW - timedelta(hours=1)
FUTURE = NOW + timedelta(hours=1)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.PENDING, S.CONFIRMED),
        (S.PENDING, S.CANCELLED),
        (S.PENDING_PAYMENT, S.CONFIRMED),
        (S.PENDING_PAYMENT, S.EXPIRED),
        (S.EXPIRED, S.PENDING_PAYMENT),
        (S.CONFIRMED, S.CANCELLED),
        (S.WAITLIST, S.PENDING),
        (S.WAITLIST, S.CONFIRMED),
    ],
)
def test_allowed_moves(current: ReservationStatus, target: ReservationStatus) -> None:
    check_transition(current, target, FUTURE, NOW)


def test_every_move_not_listed_is_refused() -> None:
    for current in S:
        for target in S:
            if target in ALLOWED[current]:
                continue
            with pytest.raises(InvalidTransition):
                check_transition(current, target, PAST, NOW)


def test_completed_and_no_show_only_after_the_start() -> None:
    with pytest.raises(InvalidTransition):
        check_transition(S.CONFIRMED, S.COMPLETED, FUTURE, NOW)
    with pytest.raises(InvalidTransition):
        check_transition(S.CONFIRMED, S.NO_SHOW, FUTURE, NOW)
    check_transition(S.CONFIRMED, S.COMPLETED, PAST, NOW)
    check_transition(S.CONFIRMED, S.NO_SHOW, PAST, NOW)


def test_a_payment_hold_holds_only_until_it_lapses() -> None:
    assert is_holding(S.PENDING_PAYMENT, FUTURE, NOW)
    assert not is_holding(S.PENDING_PAYMENT, PAST, NOW)
    assert is_holding(S.CONFIRMED, None, NOW)
    assert not is_holding(S.WAITLIST, None, NOW)
    assert not is_holding(S.EXPIRED, None, NOW)
