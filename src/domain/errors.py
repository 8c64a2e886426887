"""Domain errors: what went wrong in booking terms; the edges map them to HTTP."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule the domain refuses."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.__class__.__doc__ or self.__class__.__name__)
        self.detail = detail or (self.__class__.__doc__ or "").strip()


class InvalidInput(DomainError):
    """The request is not valid."""

    def __init__(self, detail: str = "", field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class NotFound(DomainError):
    """No such thing, or not yours."""


class Unauthorized(DomainError):
    """Missing, bad, expired or revoked credentials."""


class Forbidden(DomainError):
    """The role or API-key scope does not allow this."""


class OrganisationRequired(DomainError):
    """Name the active organisation with X-Organisation-Id."""


class AlreadyExists(DomainError):
    """That already exists."""


class SlotUnavailable(DomainError):
    """Not enough free capacity for the requested time."""


class CapacityConflict(SlotUnavailable):
    """Another booking took the capacity between reading it and writing: the database refused the write."""


class OutsideBookingWindow(DomainError):
    """The time is off the slot grid, outside opening hours, inside the notice or beyond the window."""


class InvalidTransition(DomainError):
    """That status change is not allowed from the current status."""


class PaymentsUnavailable(DomainError):
    """Payment is required but the organisation cannot take payments now."""


class AlreadyCancelled(DomainError):
    """The reservation is already cancelled."""


class RetryNotPossible(DomainError):
    """The payment cannot be retried for this reservation."""


class RescheduleNotPossible(DomainError):
    """The booking cannot be moved: too late, in another status, or to a time with another price."""


class RefundExceedsPayment(DomainError):
    """The refund is more than what was paid and not yet refunded."""


class VersionMismatch(DomainError):
    """The reservation changed since the version named in If-Match."""


class Conflict(DomainError):
    """The request conflicts with the current state."""


class ReferenceCollision(Conflict):
    """A new reservation drew a reference its organisation already has; drawing again fixes it."""


class PaymentProviderError(DomainError):
    """The payment provider failed; nothing was half-done."""


class Unavailable(DomainError):
    """A dependency (the database) is unavailable; try again shortly."""


class Contention(Unavailable):
    """The database broke a deadlock or a serialization conflict by undoing this transaction: run it again."""


class InvalidSignature(DomainError):
    """The webhook's Stripe-Signature is missing, wrong or too old."""
