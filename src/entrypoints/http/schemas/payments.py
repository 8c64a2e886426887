"""Bodies of the payment routes: Stripe Connect, refunds, the ledger, checkout status and retry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta

from entrypoints.http.schemas.common import (
    Body,
    ConnectStatusName,
    LedgerKindName,
    Out,
    PaymentStatusName,
    Short,
    StatusName,
)


class ConnectOut(Out, omit_defaults=True):
    status: ConnectStatusName
    charges_enabled: bool
    payouts_enabled: bool
    onboarding_url: str | None = None


class RefundBody(Body):
    amount: Annotated[int, Meta(ge=1, le=99_999_999)] | None = None
    reason: Short | None = None


class RefundOut(Out):
    id: int
    amount: int
    currency: str
    status: str
    reason: str | None
    created_at: datetime | None


class LedgerEntryOut(Out):
    kind: LedgerKindName
    id: int
    amount: int
    currency: str
    status: str
    created_at: datetime | None
    stripe_id: str | None


class LedgerOut(Out):
    data: list[LedgerEntryOut]


class CheckoutStatusOut(Out):
    reservation_id: int
    reference: str
    status: StatusName
    payment_status: PaymentStatusName
    requires_payment: bool
    can_retry_payment: bool


class RetryBody(Body):
    session_id: Annotated[str, Meta(min_length=1, max_length=255)]


class StripeConfigOut(Out):
    publishable_key: str | None
    currency: str


class WebhookOut(Out):
    status: str


class PaymentLinkBody(Body):
    expires_in_hours: Annotated[int, Meta(ge=1, le=24)] = 24


class PaymentLinkOut(Out):
    url: str
    stripe_checkout_session_id: str
    amount: int
    currency: str
    expires_at: datetime
