"""A chargeback as the reservation keeps it: Stripe's statuses mapped to ours, an event only on change."""

from __future__ import annotations

import pytest

from domain.payment import dispute_status_of
from tests.unit.application.factories import ReservationFactory
from tests.unit.application.fakes import NOW


@pytest.mark.parametrize(
    ("provider", "ours"),
    [
        ("warning_needs_response", "open"),
        ("warning_under_review", "open"),
        ("needs_response", "open"),
        ("under_review", "open"),
        ("won", "won"),
        ("lost", "lost"),
        ("warning_closed", "none"),
    ],
)
def test_stripe_statuses_map_to_four(provider: str, ours: str) -> None:
    assert dispute_status_of(provider) == ours


def test_each_change_is_recorded_once() -> None:
    r = ReservationFactory.build(id=1, reference="ACM-000001")
    assert r.disputed(NOW, "open", 5000, "eur", "dp_1") is True
    assert r.disputed(NOW, "open", 5000, "eur", "dp_1") is False  # updated, still open
    assert r.disputed(NOW, "lost", 5000, "eur", "dp_1") is True
    assert [(e.type, e.dispute_status) for e in r.events] == [
        ("payment.disputed", "open"),
        ("payment.disputed", "lost"),
    ]  # type: ignore[attr-defined]
    assert r.dispute_status == "lost"
    with pytest.raises(ValueError, match="not a dispute status"):
        r.disputed(NOW, "needs_response", 1, "eur", None)
