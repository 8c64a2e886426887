"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, get
from sqlalchemy import text

from adapters.metrics import exposition


@get("/health", tags=["system"], include_in_schema=True)
async def health() -> dict[str, str]:
    """200 while the process lives."""
    return {"status": "ok"}


@get("/metrics", tags=["system"], media_type="text/plain")
async def metrics() -> Response[bytes]:
    """Prometheus metrics: requests, reservations, webhook events, rate limits, holds, reconciliations."""
    body, content_type = exposition()
    return Response(body, media_type=content_type)


@get("/ready", tags=["system"])
async def ready(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    """200 only while the database answers: one round trip."""
    try:
        async with asyncio.timeout(2), request.app.state.runtime.read_engine.connect() as conn:
            try:
                await conn.execute(text("SELECT 1"))
            except BaseException:
                await conn.invalidate()  # a probe cut off mid-query must not go back to the pool
                raise
    except Exception:  # any failure means not ready
        return Response({"status": "unavailable", "database": "down"}, status_code=503)
    return Response({"status": "ready", "database": "up"})
