from datetime import UTC, datetime, timedelta

import pytest

from domain.cancellation import DEFAULT_POLICY, PolicyTier, policy_refund, refund_percent, validate_policy
from domain.errors import InvalidInput

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hours_before", "percent"),
    [(200, 100), (168, 100), (167.9, 50), (72, 50), (71, 0), (0, 0), (-5, 0)],
)
def test_default_policy_tiers(hours_before: float, percent: int) -> None:
    start = NOW + timedelta(hours=hours_before)
    assert refund_percent(DEFAULT_POLICY, start, NOW) == percent


def test_policy_refund_excludes_the_service_fee_and_rounds_half_up() -> None:
    start = NOW + timedelta(hours=100)  # 50 % tier
    assert policy_refund(DEFAULT_POLICY, subtotal=1001, taxes=0, start_time=start, now=NOW) == 501
    # a zero-decimal currency: 1999 JPY subtotal + 200 tax, half is 1099.5 -> 1100
    assert policy_refund(DEFAULT_POLICY, subtotal=1999, taxes=200, start_time=start, now=NOW) == 1100


def test_largest_met_tier_wins_whatever_the_order() -> None:
    tiers = (PolicyTier(24, 25), PolicyTier(48, 75), PolicyTier(0, 10))
    assert refund_percent(tiers, NOW + timedelta(hours=50), NOW) == 75
    assert refund_percent(tiers, NOW + timedelta(hours=30), NOW) == 25
    assert refund_percent(tiers, NOW + timedelta(hours=1), NOW) == 10


def test_invalid_policies_are_refused() -> None:
    with pytest.raises(InvalidInput):
        validate_policy([PolicyTier(10, 101)])
    with pytest.raises(InvalidInput):
        validate_policy([PolicyTier(10, 50), PolicyTier(10, 20)])
    assert validate_policy([PolicyTier(1, 5), PolicyTier(9, 50)])[0].min_hours_before == 9


@pytest.mark.parametrize(
    ("policy", "refunded", "refundable", "due"),
    [
        (7735, 0, 7898, 7735),  # nothing refunded yet: the policy amount, the fee kept
        (7735, 1000, 6898, 6735),  # defect 5: a staff refund counts against the policy amount
        (7735, 7000, 898, 735),
        (7735, 7735, 163, 0),  # the policy is used up; the 163 left is the non-refundable fee
        (7735, 7898, 0, 0),
        (500, 0, 300, 300),  # never more than the payment still holds
    ],
)
def test_refund_due_counts_what_was_refunded_before(
    policy: int, refunded: int, refundable: int, due: int
) -> None:
    from domain.cancellation import refund_due

    assert refund_due(policy, refunded, refundable) == due
