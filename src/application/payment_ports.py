"""Ports of payments: the provider (Stripe or the sandbox) and the ledger of payments and refunds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from domain.payment import Payment, Refund


@dataclass(frozen=True)
class CheckoutRequest:
    reservation_id: int
    organisation_id: int
    reference: str
    description: str
    amount: int
    currency: str
    application_fee: int
    destination: str | None
    expires_at: datetime
    success_url: str
    cancel_url: str
    customer_email: str | None
    idempotency_key: str


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str | None
    status: str  # open, complete, expired
    payment_status: str  # paid, unpaid, no_payment_required
    payment_intent_id: str | None = None
    payment_intent_status: str | None = None  # succeeded, processing, requires_payment_method, canceled…
    amount_total: int | None = None
    currency: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IntentRequest:
    """A PaymentIntent confirmed on the server with a saved card (a destination charge, as Checkout's)."""

    reservation_id: int
    organisation_id: int
    reference: str
    description: str
    amount: int
    currency: str
    application_fee: int
    destination: str | None
    customer_id: str
    payment_method_id: str
    return_url: str
    idempotency_key: str


@dataclass(frozen=True)
class IntentState:
    id: str
    status: str  # succeeded, processing, requires_action, requires_payment_method, canceled, ...
    amount: int
    currency: str
    client_secret: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    next_action_url: str | None = None  # where the customer authenticates (3-D Secure), if a page does it

    @property
    def ours(self) -> bool:
        """Made by the saved-card flow (Checkout's own PaymentIntents are settled by Checkout's events)."""
        return self.metadata.get("mode") == INTENT_MODE


INTENT_MODE = "payment_intent"


@dataclass(frozen=True)
class RefundResult:
    id: str
    amount: int
    status: str


@dataclass(frozen=True)
class AccountState:
    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool


@dataclass(frozen=True)
class ProviderRefund:
    id: str
    amount: int
    status: str
    reason: str | None = None


# What the provider tells, verified and typed by the gateway: the application never reads its wire format.
@dataclass(frozen=True)
class ProviderEvent:
    id: str


@dataclass(frozen=True)
class CheckoutCompleted(ProviderEvent):
    """The customer finished a Checkout Session: paid, or a delayed method still processing."""

    session: CheckoutSession


@dataclass(frozen=True)
class CheckoutPaidLater(ProviderEvent):
    """A delayed payment method of a completed session succeeded."""

    session: CheckoutSession


@dataclass(frozen=True)
class CheckoutPaymentFailed(ProviderEvent):
    """A delayed payment method of a completed session failed."""

    session: CheckoutSession


@dataclass(frozen=True)
class CheckoutExpired(ProviderEvent):
    session: CheckoutSession


@dataclass(frozen=True)
class PaymentIntentFailed(ProviderEvent):
    """A card was declined (the customer may try another while the hold lasts)."""

    intent_id: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class IntentChanged(ProviderEvent):
    """payment_intent.succeeded, .processing or .canceled of a server-confirmed PaymentIntent."""

    intent: IntentState


@dataclass(frozen=True)
class ChargeRefunded(ProviderEvent):
    """Money went back, from anywhere (the provider's dashboard included)."""

    intent_id: str | None
    charge_id: str | None
    amount_refunded: int
    refunds: list[ProviderRefund] = field(default_factory=list)


@dataclass(frozen=True)
class DisputeChanged(ProviderEvent):
    """A chargeback on one of our charges was opened, changed or closed (charge.dispute.*)."""

    dispute_id: str
    intent_id: str | None
    charge_id: str | None
    amount: int
    currency: str
    status: str  # the provider's: needs_response, under_review, won, lost, warning_*


@dataclass(frozen=True)
class AccountUpdated(ProviderEvent):
    account: AccountState


@dataclass(frozen=True)
class OtherEvent(ProviderEvent):
    """An event the platform does not act on."""

    type: str


class PaymentGateway(Protocol):
    """Stripe, or the sandbox that imitates it; every failure is PaymentProviderError."""

    name: str

    async def create_checkout(self, request: CheckoutRequest) -> CheckoutSession: ...
    async def retrieve_checkout(self, session_id: str) -> CheckoutSession: ...
    async def create_intent(self, request: IntentRequest) -> IntentState:
        """Create and confirm; a declined card is an answer (`requires_payment_method`), not an error."""
        ...

    async def retrieve_intent(self, intent_id: str) -> IntentState: ...
    async def cancel_intent(self, intent_id: str) -> IntentState:
        """End an attempt that has not succeeded; the intent as it now stands."""
        ...

    async def expire_checkout(self, session_id: str) -> CheckoutSession:
        """End an open session so that it can no longer be paid; the session as it now stands (a session
        that completed first stays complete)."""
        ...

    async def refund(
        self, payment_intent_id: str, amount: int, reason: str | None, idempotency_key: str
    ) -> RefundResult: ...
    async def create_account(self, organisation_id: int, email: str | None, idempotency_key: str) -> str: ...
    async def onboarding_link(self, account_id: str, refresh_url: str, return_url: str) -> str: ...
    async def retrieve_account(self, account_id: str) -> AccountState: ...
    def parse_event(self, payload: bytes, signature: str | None) -> ProviderEvent:
        """The verified event; InvalidSignature when the signature is missing, wrong or stale."""
        ...


class Payments(Protocol):
    async def of_reservation(
        self, organisation_id: int, reservation_id: int
    ) -> tuple[list[Payment], list[Refund]]: ...
    async def by_intent(self, organisation_id: int, payment_intent_id: str) -> Payment | None: ...
    async def by_intent_anywhere(self, payment_intent_id: str) -> Payment | None:
        """For provider events that name a payment intent but no organisation."""
        ...

    async def add(self, payment: Payment) -> Payment:
        """Record a payment; the one already recorded for that payment intent when there is one."""
        ...

    async def set_status(
        self, organisation_id: int, payment_id: int, status: str, charge_id: str | None = None
    ) -> None: ...
    async def add_refund(self, organisation_id: int, reservation_id: int, refund: Refund) -> Refund | None:
        """Record a refund; None when that provider refund is already recorded."""
        ...

    async def record_event(self, event_id: str, event_type: str) -> bool:
        """Claim an event id; False when it was processed already."""
        ...
