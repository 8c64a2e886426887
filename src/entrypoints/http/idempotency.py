"""`Idempotency-Key`: the same key and body replay the first response; a running duplicate waits for it."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Request, Response

from application.ports import IdempotencyStore, StoredResponse
from domain.errors import InvalidInput
from domain.identity import Caller
from entrypoints.http.errors import problem

HEADER = "idempotency-key"
LEASE_SECONDS = 60  # a claim whose process died is taken over after this
WAIT_SECONDS = 10.0  # how long a duplicate waits for the first request before answering 409


def caller_scope(caller: Caller) -> str:
    """Keys are the caller's own: the API key's, else the user's (within the organisation)."""
    return f"key:{caller.api_key_id}" if caller.is_api_key else f"user:{caller.user_id}"


def json_response(
    body: msgspec.Struct, status: int, headers: dict[str, str] | None = None
) -> Response[bytes]:
    return Response(
        msgspec.json.encode(body), status_code=status, media_type="application/json", headers=headers
    )


async def idempotent(
    request: Request[Any, Any, Any],
    store: IdempotencyStore,
    organisation_id: int,
    scope: str,
    run: Callable[[], Awaitable[Response[bytes]]],
) -> Response[Any]:
    """Run once per (scope, key): replay the stored response, or refuse a key reused with another body."""
    key = request.headers.get(HEADER)
    if key is None:
        return await run()
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise InvalidInput("Idempotency-Key is 1 to 255 printable characters", "Idempotency-Key")
    body = await request.body()
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode() + body).hexdigest()
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while True:
        claim = await store.claim(organisation_id, scope, key, digest, LEASE_SECONDS)
        if claim.state == "mismatch":
            return problem(
                422,
                "IDEMPOTENCY_KEY_REUSED",
                "Idempotency key reused",
                "this Idempotency-Key was used with a different request",
            )
        if claim.state == "replay" and claim.response is not None:
            stored = claim.response
            headers = stored.headers | {"Idempotent-Replayed": "true"}
            return Response(
                stored.body, status_code=stored.status, media_type="application/json", headers=headers
            )
        if claim.state == "new":
            break
        if asyncio.get_running_loop().time() >= deadline:
            return problem(
                409,
                "IDEMPOTENCY_IN_PROGRESS",
                "Request in progress",
                "a request with this Idempotency-Key is still being processed",
            )
        await asyncio.sleep(0.1)
    try:
        response = await run()
    except BaseException:
        await asyncio.shield(store.release(organisation_id, scope, key))
        raise
    status = response.status_code or 200
    if status < 300:
        headers = {k: v for k, v in (response.headers or {}).items() if k.lower() in ("etag", "location")}
        stored = StoredResponse(status, bytes(response.content), headers)
        await asyncio.shield(store.complete(organisation_id, scope, key, stored))
    else:
        await asyncio.shield(store.release(organisation_id, scope, key))
    return response
