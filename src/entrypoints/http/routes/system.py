"""Liveness and readiness."""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from litestar import Request, Response, get, route
from litestar.enums import HttpMethod

from adapters.metrics import exposition
from adapters.postgres.schema import schema_state
from domain.errors import Unauthorized


@get("/health", tags=["system"], include_in_schema=True)
async def health() -> dict[str, str]:
    """200 while the process lives."""
    return {"status": "ok"}


@route(
    "/metrics",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    tags=["system"],
    opt={"media": "text/plain", "token": True},
)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Prometheus metrics: requests, reservations, webhook events, rate limits, holds, reconciliations.
    With METRICS_TOKEN set, only `Authorization: Bearer <METRICS_TOKEN>` reads them."""
    expected = request.app.state.runtime.settings.metrics_token
    if expected:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
            raise Unauthorized("the metrics need Authorization: Bearer <METRICS_TOKEN>")
    body, content_type = exposition()
    # The exposition's content type names its charset already; Litestar would append a second one.
    headers = {"content-type": content_type}
    if request.method == HttpMethod.HEAD:
        return Response(b"", headers=headers | {"content-length": str(len(body))})
    return Response(body, headers=headers)


@get("/ready", tags=["system"])
async def ready(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    """200 only while the database answers and is migrated to this code's schema: one round trip."""
    runtime = request.app.state.runtime
    try:
        async with asyncio.timeout(2), runtime.read_engine.connect() as conn:
            try:
                state = await schema_state(conn, runtime.schema_head)
            except BaseException:
                await conn.invalidate()  # a probe cut off mid-query must not go back to the pool
                raise
    except Exception:  # any failure means not ready
        return Response({"status": "unavailable", "database": "down"}, status_code=503)
    if not state.ready:
        return Response({"status": "unavailable", "database": state.detail}, status_code=503)
    return Response({"status": "ready", "database": "up"})
