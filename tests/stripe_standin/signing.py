"""Stripe's webhook signature scheme: ``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256("{t}.{payload}")>``."""

from __future__ import annotations

import hashlib
import hmac
import time


def sign_payload(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload``; pass an old ``timestamp`` for a stale one."""
    text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    signed_at = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode("utf-8"), f"{signed_at}.{text}".encode(), hashlib.sha256).hexdigest()
    return f"t={signed_at},v1={digest}"
