"""What happened to a reservation, recorded by the aggregate as it happens. The names are the event types
organisations subscribe to; each event leaves through the outbox in the transaction of its change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar


@dataclass(frozen=True)
class ReservationEvent:
    """Something that happened to one reservation (the aggregate that recorded it says which)."""

    occurred_at: datetime
    type: ClassVar[str] = "reservation.updated"


@dataclass(frozen=True)
class ReservationCreated(ReservationEvent):
    type: ClassVar[str] = "reservation.created"


@dataclass(frozen=True)
class ReservationConfirmed(ReservationEvent):
    type: ClassVar[str] = "reservation.confirmed"


@dataclass(frozen=True)
class ReservationCancelled(ReservationEvent):
    reason: str | None = None
    type: ClassVar[str] = "reservation.cancelled"


@dataclass(frozen=True)
class HoldExpired(ReservationEvent):
    type: ClassVar[str] = "reservation.expired"


@dataclass(frozen=True)
class ReservationRescheduled(ReservationEvent):
    previous_start: datetime | None = None
    previous_end: datetime | None = None
    type: ClassVar[str] = "reservation.rescheduled"


@dataclass(frozen=True)
class ReservationCompleted(ReservationEvent):
    type: ClassVar[str] = "reservation.completed"


@dataclass(frozen=True)
class ReservationNoShow(ReservationEvent):
    type: ClassVar[str] = "reservation.no_show"


@dataclass(frozen=True)
class ReservationUpdated(ReservationEvent):
    type: ClassVar[str] = "reservation.updated"


@dataclass(frozen=True)
class MoneyEvent(ReservationEvent):
    """A movement of the reservation's money at the provider."""

    amount: int = 0
    currency: str = ""
    stripe_id: str | None = None


@dataclass(frozen=True)
class PaymentSucceeded(MoneyEvent):
    type: ClassVar[str] = "payment.succeeded"


@dataclass(frozen=True)
class PaymentFailed(MoneyEvent):
    type: ClassVar[str] = "payment.failed"


@dataclass(frozen=True)
class PaymentRefunded(MoneyEvent):
    type: ClassVar[str] = "payment.refunded"


@dataclass(frozen=True)
class PaymentDisputed(MoneyEvent):
    dispute_status: str = "open"  # open, won, lost
    type: ClassVar[str] = "payment.disputed"


EVENT_TYPES: tuple[str, ...] = (
    "reservation.created",
    "reservation.confirmed",
    "reservation.cancelled",
    "reservation.expired",
    "reservation.rescheduled",
    "reservation.completed",
    "reservation.no_show",
    "reservation.updated",
    "payment.succeeded",
    "payment.failed",
    "payment.refunded",
    "payment.disputed",
)
