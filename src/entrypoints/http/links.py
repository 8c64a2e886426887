"""Links the API hands out, built from PUBLIC_BASE_URL: the application never builds HTTP paths."""

from __future__ import annotations

from application.storefront import Entry


def status_url(base: str, entry: Entry) -> str:
    """Where the customer's browser comes back to after Checkout: checkout-status of the page they used."""
    page = f"organisations/{entry.slug}" if entry.slug is not None else entry.token
    return f"{base}/api/public/booking/{page}/checkout-status"


def booking_page(base: str, token: str) -> str:
    return f"{base}/api/public/booking/{token}"


def connect_return(base: str, organisation_id: int) -> str:
    """Where Stripe's onboarding sends the owner back to."""
    return f"{base}/api/organisations/{organisation_id}/stripe/connect"
