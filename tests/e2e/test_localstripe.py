"""The saved-card calls against localstripe, a fake Stripe server nobody here wrote, through our Stripe
adapter and the real SDK: what it serves (Customers, SetupIntents, attaching and detaching test cards)
behaves as our own stand-in says; what it refuses (a PaymentIntent with return_url, application_fee_amount
and transfer_data, i.e. our destination charge) is asserted, so a release that starts serving it is noticed."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from adapters.payments.stripe_gateway import StripeGateway
from application.payment_ports import IntentRequest
from domain.errors import PaymentProviderError
from tests.support.servers import BIN, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def localstripe() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "localstripe"), "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/v1/customers", auth=("sk_test_x", ""), timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _journey(base: str) -> None:
    gateway = StripeGateway("sk_test_localstripe", [], api_base=base, max_network_retries=0)
    try:
        customer = await gateway.create_customer(7, "ana@example.com", "customer:7")
        assert customer.startswith("cus_")
        secret = await gateway.setup_intent(customer)
        assert secret.startswith("seti_")
        assert "_secret_" in secret
        card = await gateway.attach("pm_card_visa", customer)
        assert (card.brand, card.last4) == ("visa", "4242")
        assert card.exp_year > 2000
        request = IntentRequest(
            reservation_id=1,
            organisation_id=1,
            reference="ACM-1",
            description="Massage (ACM-1)",
            amount=6000,
            currency="eur",
            application_fee=600,
            destination="acct_1",
            customer_id=customer,
            payment_method_id=card.payment_method_id,
            return_url="https://shop.example/back",
            idempotency_key="intent:1:1",
        )
        with pytest.raises(PaymentProviderError) as refused:
            await gateway.create_intent(request)  # what localstripe cannot serve: our destination charge
        # It names what it does not know: "Unexpected return_url, description, application_fee_amount, …"
        unknown = str(refused.value.__cause__)
        assert all(name in unknown for name in ("return_url", "application_fee_amount", "transfer_data"))
        await gateway.detach(card.payment_method_id)
    finally:
        await gateway.close()


def test_saved_cards_against_localstripe(localstripe: str) -> None:
    asyncio.run(_journey(localstripe))
