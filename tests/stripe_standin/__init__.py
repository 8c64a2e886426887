"""A Stripe stand-in for tests: a separate HTTP process speaking Stripe's v1 wire format.

``from tests.stripe_standin import StandIn, sign_payload``; the server itself needs only the standard
library (``python -m tests.stripe_standin --port 0 --port-file PATH``), the helper needs httpx.
"""

from __future__ import annotations

from typing import Any

from .signing import sign_payload

__all__ = ["StandIn", "sign_payload"]


def __getattr__(name: str) -> Any:
    if name == "StandIn":  # imported lazily so that the server process never imports httpx
        from .client import StandIn

        return StandIn
    raise AttributeError(name)
