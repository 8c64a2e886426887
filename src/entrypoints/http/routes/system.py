"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, get
from sqlalchemy import text


@get("/health", tags=["system"], include_in_schema=True)
async def health() -> dict[str, str]:
    """200 while the process lives."""
    return {"status": "ok"}


@get("/ready", tags=["system"])
async def ready(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    """200 only while the database answers: one round trip."""
    try:
        async with asyncio.timeout(2), request.app.state.runtime.read_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return Response({"status": "unavailable", "database": "down"}, status_code=503)
    return Response({"status": "ready", "database": "up"})
