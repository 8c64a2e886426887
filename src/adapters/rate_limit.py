"""Rate limits with `limits`: in-process memory, or Redis so that every server process shares one count."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from application.ports import RateDecision

log = logging.getLogger("booking.rate_limit")


class LimitsRateLimiter:
    """One moving-window counter per (limit name, client); fails open when the storage is down."""

    def __init__(self, limits: Mapping[str, str], redis_url: str | None = None) -> None:
        self._items: dict[str, RateLimitItem] = {name: parse(value) for name, value in limits.items()}
        self._storage: Storage = self._make_storage(redis_url)
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._warned_at = 0.0

    @staticmethod
    def _make_storage(redis_url: str | None) -> Storage:
        if not redis_url:
            return MemoryStorage()
        scheme, _, rest = redis_url.partition("://")
        prefix = "async+rediss" if scheme == "rediss" else "async+redis"
        # Short timeouts: a hung Redis must cost a request half a second at most before failing open.
        storage = storage_from_string(
            f"{prefix}://{rest}", wrap_exceptions=True, connect_timeout=0.5, stream_timeout=0.5
        )
        assert isinstance(storage, Storage)
        return storage

    async def hit(self, name: str, client: str) -> RateDecision:
        item = self._items[name]
        try:
            allowed = await self._limiter.hit(item, name, client)
            reset_at, remaining = await self._limiter.get_window_stats(item, name, client)
        except Exception as exc:
            self._warn(exc)
            return RateDecision(True, item.amount, item.amount, 0)
        reset_after = max(1, math.ceil(reset_at - time.time()))
        return RateDecision(allowed, item.amount, max(0, remaining), reset_after)

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at > 10:  # one warning per 10 s, not one per request
            self._warned_at = now
            log.warning(
                "rate limiting is failing open: the limit storage is unavailable (%s)", type(exc).__name__
            )
