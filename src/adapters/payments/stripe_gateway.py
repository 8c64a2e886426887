"""Stripe through the official SDK: async calls, explicit retries and timeouts, idempotency keys."""

from __future__ import annotations

import logging
from typing import Annotated, Any, cast

import msgspec
import stripe

from application.card_ports import CardDetails
from application.payment_ports import (
    INTENT_MODE,
    AccountState,
    AccountUpdated,
    ChargeRefunded,
    CheckoutCompleted,
    CheckoutExpired,
    CheckoutPaidLater,
    CheckoutPaymentFailed,
    CheckoutRequest,
    CheckoutSession,
    DisputeChanged,
    IntentChanged,
    IntentRequest,
    IntentState,
    OtherEvent,
    PaymentIntentFailed,
    ProviderEvent,
    ProviderRefund,
    RefundResult,
)
from domain.errors import InvalidInput, InvalidSignature, PaymentProviderError

log = logging.getLogger("booking.stripe")

SIGNATURE_TOLERANCE = 300  # seconds: an older signature is refused even when it is right


def _session(obj: Any) -> CheckoutSession:
    intent: Any = obj.get("payment_intent")
    intent_status = None
    if isinstance(intent, dict):
        intent, intent_status = intent.get("id"), intent.get("status")
    return CheckoutSession(
        id=str(obj["id"]),
        url=obj.get("url"),
        status=obj.get("status") or "open",
        payment_status=obj.get("payment_status") or "unpaid",
        payment_intent_id=intent,
        payment_intent_status=intent_status,
        amount_total=obj.get("amount_total"),
        currency=obj.get("currency"),
        metadata=_metadata(obj),
    )


class StripeGateway:
    name = "stripe"

    def __init__(
        self,
        secret_key: str,
        webhook_secrets: list[str],
        api_base: str | None = None,
        timeout_seconds: float = 10.0,
        max_network_retries: int = 2,
    ) -> None:
        self._secrets = [s for s in webhook_secrets if s]
        self._http = stripe.HTTPXClient(timeout=timeout_seconds)
        bases: Any = {"api": api_base, "connect": api_base, "files": api_base} if api_base else None
        self._client = stripe.StripeClient(
            secret_key, http_client=self._http, max_network_retries=max_network_retries, base_addresses=bases
        )

    async def close(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]

    async def _call(self, what: str, call: Any) -> Any:
        try:
            result = await call
        except stripe.StripeError as exc:
            # The message names the failure, never the key or the customer.
            log.warning("stripe %s failed: %s (%s)", what, type(exc).__name__, getattr(exc, "code", None))
            raise PaymentProviderError(f"the payment provider failed to {what}") from exc
        return result.to_dict() if hasattr(result, "to_dict") else result

    async def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        metadata = {
            "reservation_id": str(request.reservation_id),
            "organisation_id": str(request.organisation_id),
            "reference": request.reference,
        }
        intent: dict[str, Any] = {"metadata": metadata}
        if request.destination:
            intent["application_fee_amount"] = request.application_fee
            intent["transfer_data"] = {"destination": request.destination}
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency,
                        "unit_amount": request.amount,
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "payment_intent_data": intent,
            "expires_at": int(request.expires_at.timestamp()),
            "client_reference_id": str(request.reservation_id),
            "metadata": metadata,
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        created = await self._call(
            "create a checkout session",
            self._client.v1.checkout.sessions.create_async(
                params=cast(Any, params), options={"idempotency_key": request.idempotency_key}
            ),
        )
        return _session(created)

    async def create_intent(self, request: IntentRequest) -> IntentState:
        params: dict[str, Any] = {
            "amount": request.amount,
            "currency": request.currency,
            "customer": request.customer_id,
            "payment_method": request.payment_method_id,
            "confirm": True,
            "return_url": request.return_url,
            "description": request.description,
            "metadata": {
                "reservation_id": str(request.reservation_id),
                "organisation_id": str(request.organisation_id),
                "reference": request.reference,
                "mode": INTENT_MODE,
            },
        }
        if request.destination:  # a destination charge with the same application fee as Checkout's
            params["application_fee_amount"] = request.application_fee
            params["transfer_data"] = {"destination": request.destination}
        try:
            made = await self._client.v1.payment_intents.create_async(
                params=cast(Any, params), options={"idempotency_key": request.idempotency_key}
            )
        except stripe.CardError as exc:  # declined on confirmation: the intent says so
            found = exc.error.payment_intent if exc.error is not None else None
            if found is None:
                raise PaymentProviderError("the payment provider refused the card") from exc
            return _intent(found.to_dict() if hasattr(found, "to_dict") else found)
        except stripe.StripeError as exc:
            log.warning(
                "stripe create a payment failed: %s (%s)", type(exc).__name__, getattr(exc, "code", None)
            )
            raise PaymentProviderError("the payment provider failed to take the payment") from exc
        return _intent(made.to_dict())

    async def retrieve_intent(self, intent_id: str) -> IntentState:
        found = await self._call("read a payment", self._client.v1.payment_intents.retrieve_async(intent_id))
        return _intent(found)

    async def cancel_intent(self, intent_id: str) -> IntentState:
        current = await self.retrieve_intent(intent_id)
        if current.status in ("succeeded", "canceled", "processing"):
            return current
        ended = await self._call("cancel a payment", self._client.v1.payment_intents.cancel_async(intent_id))
        return _intent(ended)

    async def retrieve_checkout(self, session_id: str) -> CheckoutSession:
        found = await self._call(
            "read a checkout session",
            self._client.v1.checkout.sessions.retrieve_async(
                session_id, params={"expand": ["payment_intent"]}
            ),
        )
        return _session(found)

    async def expire_checkout(self, session_id: str) -> CheckoutSession:
        session = await self.retrieve_checkout(session_id)
        if session.status != "open":
            return session
        expired = await self._call(
            "expire a checkout session", self._client.v1.checkout.sessions.expire_async(session_id)
        )
        return _session(expired)

    async def refund(
        self, payment_intent_id: str, amount: int, reason: str | None, idempotency_key: str
    ) -> RefundResult:
        params: dict[str, Any] = {"payment_intent": payment_intent_id, "amount": amount}
        if reason in ("duplicate", "fraudulent", "requested_by_customer"):
            params["reason"] = reason
        made = await self._call(
            "refund a payment",
            self._client.v1.refunds.create_async(
                params=cast(Any, params), options={"idempotency_key": idempotency_key}
            ),
        )
        return RefundResult(made["id"], made["amount"], made["status"] or "pending")

    async def create_account(self, organisation_id: int, email: str | None, idempotency_key: str) -> str:
        params: dict[str, Any] = {
            "type": "express",
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
            "metadata": {"organisation_id": str(organisation_id)},
        }
        if email:
            params["email"] = email
        account = await self._call(
            "create a connected account",
            self._client.v1.accounts.create_async(
                params=cast(Any, params), options={"idempotency_key": idempotency_key}
            ),
        )
        return str(account["id"])

    async def onboarding_link(self, account_id: str, refresh_url: str, return_url: str) -> str:
        link = await self._call(
            "create an onboarding link",
            self._client.v1.account_links.create_async(
                params={
                    "account": account_id,
                    "refresh_url": refresh_url,
                    "return_url": return_url,
                    "type": "account_onboarding",
                }
            ),
        )
        return str(link["url"])

    # -- saved cards (the CardVault port): Customers and PaymentMethods on the platform account --------

    async def create_customer(self, user_id: int, email: str, idempotency_key: str) -> str:
        made = await self._call(
            "create a customer",
            self._client.v1.customers.create_async(
                params={"email": email, "metadata": {"user_id": str(user_id)}},
                options={"idempotency_key": idempotency_key},
            ),
        )
        return str(made["id"])

    async def setup_intent(self, customer_id: str) -> str:
        made = await self._call(
            "create a setup intent",
            self._client.v1.setup_intents.create_async(
                params=cast(
                    Any, {"customer": customer_id, "payment_method_types": ["card"], "usage": "on_session"}
                )
            ),
        )
        return str(made["client_secret"])

    async def attach(self, payment_method_id: str, customer_id: str) -> CardDetails:
        try:
            made = await self._client.v1.payment_methods.attach_async(
                payment_method_id, params={"customer": customer_id}
            )
        except stripe.InvalidRequestError as exc:  # an unknown or foreign card: the caller's mistake
            raise InvalidInput("not a card that can be saved", "paymentMethodId") from exc
        except stripe.StripeError as exc:
            log.warning("stripe attach failed: %s (%s)", type(exc).__name__, getattr(exc, "code", None))
            raise PaymentProviderError("the payment provider failed to save the card") from exc
        card = made.to_dict().get("card") or {}
        return CardDetails(
            str(made["id"]),
            str(card.get("brand") or "unknown"),
            str(card.get("last4") or ""),
            int(card.get("exp_month") or 0),
            int(card.get("exp_year") or 0),
        )

    async def detach(self, payment_method_id: str) -> None:
        await self._call(
            "remove a saved card", self._client.v1.payment_methods.detach_async(payment_method_id)
        )

    async def retrieve_account(self, account_id: str) -> AccountState:
        account = await self._call(
            "read a connected account", self._client.v1.accounts.retrieve_async(account_id)
        )
        return _account(account)

    def parse_event(self, payload: bytes, signature: str | None) -> ProviderEvent:
        return verified_event(payload, signature, self._secrets)


class _EventData(msgspec.Struct):
    object: dict[str, Any]


class _Event(msgspec.Struct):
    """The part of Stripe's event envelope we act on; anything else in it is ignored."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    data: _EventData
    account: str | None = None


def verified_event(payload: bytes, signature: str | None, secrets: list[str]) -> ProviderEvent:
    """The event of a payload signed by one of the secrets in time; InvalidSignature otherwise, and
    InvalidInput for a signed payload that is not an event (nothing is applied either way)."""
    if not signature or not secrets:
        raise InvalidSignature("the Stripe-Signature header is missing")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidSignature("the payload is not UTF-8") from exc
    # The signature is checked on the raw text first: nothing unsigned is ever parsed.
    if not any(_signed_by(text, signature, secret) for secret in secrets):
        raise InvalidSignature("the signature does not match, or is older than 300 seconds")
    try:
        event = msgspec.json.decode(payload, type=_Event)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise InvalidInput(f"the payload is not a Stripe event: {exc}", "body") from None
    except RecursionError:
        raise InvalidInput("the payload is nested too deeply", "body") from None
    try:
        return typed_event(event.id, event.type, event.data.object)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInput(f"the {event.type} event's object is malformed", "body") from exc


def typed_event(event_id: str, kind: str, obj: dict[str, Any]) -> ProviderEvent:
    """Stripe's event as the application knows it; the wire format ends here."""
    if kind == "checkout.session.completed":
        return CheckoutCompleted(event_id, _session(obj))
    if kind == "checkout.session.async_payment_succeeded":
        return CheckoutPaidLater(event_id, _session(obj))
    if kind == "checkout.session.async_payment_failed":
        return CheckoutPaymentFailed(event_id, _session(obj))
    if kind == "checkout.session.expired":
        return CheckoutExpired(event_id, _session(obj))
    if kind in ("payment_intent.succeeded", "payment_intent.processing", "payment_intent.canceled"):
        state = _intent(obj)  # Checkout's own intents are settled by Checkout's events
        return IntentChanged(event_id, state) if state.ours else OtherEvent(event_id, kind)
    if kind == "payment_intent.payment_failed":
        return PaymentIntentFailed(event_id, str(obj["id"]), _metadata(obj))
    if kind == "charge.refunded":
        intent = obj.get("payment_intent")
        listed = (obj.get("refunds") or {}).get("data") or []
        refunds = [
            ProviderRefund(str(r["id"]), int(r["amount"]), r.get("status") or "succeeded", r.get("reason"))
            for r in listed
        ]
        intent_id = intent.get("id") if isinstance(intent, dict) else intent
        return ChargeRefunded(
            event_id, intent_id, obj.get("id"), int(obj.get("amount_refunded") or 0), refunds
        )
    if kind in ("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed"):
        charge, intent = obj.get("charge"), obj.get("payment_intent")
        return DisputeChanged(
            event_id,
            str(obj["id"]),
            intent.get("id") if isinstance(intent, dict) else intent,
            charge.get("id") if isinstance(charge, dict) else charge,
            int(obj.get("amount") or 0),
            str(obj.get("currency") or ""),
            str(obj.get("status") or "needs_response"),
        )
    if kind == "account.updated":
        return AccountUpdated(event_id, _account(obj))
    return OtherEvent(event_id, kind)


def _intent(obj: Any) -> IntentState:
    return IntentState(
        id=str(obj["id"]),
        status=str(obj.get("status") or "requires_payment_method"),
        amount=int(obj.get("amount") or 0),
        currency=str(obj.get("currency") or ""),
        client_secret=obj.get("client_secret"),
        metadata=_metadata(obj),
        next_action_url=((obj.get("next_action") or {}).get("redirect_to_url") or {}).get("url"),
    )


def _metadata(obj: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (obj.get("metadata") or {}).items()}


def _account(obj: Any) -> AccountState:
    return AccountState(
        str(obj["id"]),
        bool(obj.get("charges_enabled")),
        bool(obj.get("payouts_enabled")),
        bool(obj.get("details_submitted")),
    )


def _signed_by(text: str, signature: str, secret: str) -> bool:
    try:
        stripe.WebhookSignature.verify_header(text, signature, secret, tolerance=SIGNATURE_TOLERANCE)
    except stripe.SignatureVerificationError:
        return False
    return True
