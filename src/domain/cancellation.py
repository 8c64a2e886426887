"""Cancellation policies and the refund they give."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import InvalidInput
from domain.money import percent_of


@dataclass(frozen=True)
class PolicyTier:
    """Cancel at least `min_hours_before` the start and get `refund_percent` back."""

    min_hours_before: int
    refund_percent: int


DEFAULT_POLICY: tuple[PolicyTier, ...] = (PolicyTier(168, 100), PolicyTier(72, 50))


def validate_policy(tiers: Sequence[PolicyTier]) -> tuple[PolicyTier, ...]:
    """Hours 0 to 87600, percent 0 to 100, no hour twice; sorted from the longest notice."""
    seen: set[int] = set()
    for index, tier in enumerate(tiers):
        where = f"cancellationPolicy[{index}]"
        if not 0 <= tier.min_hours_before <= 87_600:
            raise InvalidInput("minHoursBefore must be between 0 and 87600", f"{where}.minHoursBefore")
        if not 0 <= tier.refund_percent <= 100:
            raise InvalidInput("refundPercent must be between 0 and 100", f"{where}.refundPercent")
        if tier.min_hours_before in seen:
            raise InvalidInput("two tiers name the same minHoursBefore", where)
        seen.add(tier.min_hours_before)
    return tuple(sorted(tiers, key=lambda t: -t.min_hours_before))


def refund_percent(tiers: Sequence[PolicyTier], start_time: datetime, now: datetime) -> int:
    """The percent of the tier with the largest minHoursBefore that is met; 0 when none is."""
    notice = start_time - now
    met = [t for t in tiers if notice >= timedelta(hours=t.min_hours_before)]
    if not met:
        return 0
    return max(met, key=lambda t: t.min_hours_before).refund_percent


def policy_refund(
    tiers: Sequence[PolicyTier], subtotal: int, taxes: int, start_time: datetime, now: datetime
) -> int:
    """The refund by policy: the tier's percent of subtotal + taxes, half up; the fee is kept."""
    return percent_of(subtotal + taxes, refund_percent(tiers, start_time, now))


def refund_due(policy_amount: int, already_refunded: int, refundable: int) -> int:
    """What a policy cancellation gives back now: the policy amount less what was refunded before,
    never below 0 and never more than the payment still holds (so never the non-refundable fee)."""
    return max(0, min(policy_amount - already_refunded, refundable))
