"""CSRF protection of the pages' forms without a session: each form carries a token that is an HMAC of
its own action path and an expiry under a key of the server's, and a POST whose Origin (or, without one,
Sec-Fetch-Site) says another site sent it is refused. A token works only on the form it was made for."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlsplit

from litestar import Request

from domain.errors import Forbidden

LIFETIME_SECONDS = 4 * 3600  # a customer may leave the page open for a while


class FormGuard:
    def __init__(self, secret: str, public_base_url: str) -> None:
        self.key = hashlib.sha256(b"booking-page-forms:" + secret.encode()).digest()
        parts = urlsplit(public_base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"

    def token(self, action: str, now: float | None = None) -> str:
        expires = int((now or time.time()) + LIFETIME_SECONDS)
        return f"{expires}.{self._mac(action, expires)}"

    def _mac(self, action: str, expires: int) -> str:
        mac = hmac.new(self.key, f"{action}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:18]).decode()

    def check(self, request: Request[Any, Any, Any], form: dict[str, Any], now: float | None = None) -> None:
        """Refuse (403) a form that did not come from our own page for this very action."""
        origin = request.headers.get("origin")
        own = {self.origin, f"{request.url.scheme}://{request.url.netloc}"}
        if origin is not None and origin not in own:
            raise Forbidden("this form was sent from another site")
        if origin is None and request.headers.get("sec-fetch-site") == "cross-site":
            raise Forbidden("this form was sent from another site")
        supplied = str(form.get("csrf") or "")
        expires_text, _, mac = supplied.partition(".")
        if not expires_text.isdigit() or int(expires_text) < (now or time.time()):
            raise Forbidden("the form has expired")
        if not hmac.compare_digest(mac, self._mac(request.url.path, int(expires_text))):
            raise Forbidden("the form is not valid for this page")
