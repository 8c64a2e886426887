"""Per-request dependencies: the application context, the caller, and a page request."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import State
from litestar.params import Parameter

from application.access import caller_from_api_key, caller_from_token
from application.context import Context
from application.ports import MAX_OFFSET, PageRequest
from domain.errors import InvalidInput, Unauthorized
from domain.identity import Caller
from entrypoints.http.schemas.common import MAX_ID, ascii_int


def provide_ctx(state: State) -> Context:
    ctx: Context = state.ctx
    return ctx


def _organisation_header(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    number = ascii_int(value)
    if number is None or not 1 <= number <= MAX_ID:
        raise InvalidInput("X-Organisation-Id is a positive integer", "X-Organisation-Id")
    return number


async def provide_caller(request: Request[Any, Any, Any], ctx: Context) -> Caller:
    """The caller from `Authorization: Bearer`, `X-API-Key` or `Authorization: ApiKey`; 401 without one."""
    organisation = _organisation_header(request.headers.get("x-organisation-id"))
    authorization = request.headers.get("authorization", "")
    scheme, _, credential = authorization.partition(" ")
    api_key = request.headers.get("x-api-key")
    if api_key:
        return await caller_from_api_key(ctx, api_key.strip(), organisation)
    if scheme.lower() == "apikey" and credential.strip():
        return await caller_from_api_key(ctx, credential.strip(), organisation)
    if scheme.lower() == "bearer" and credential.strip():
        return await caller_from_token(ctx, credential.strip(), organisation)
    raise Unauthorized("send Authorization: Bearer <token> or X-API-Key: <key>")


def provide_page(
    page_number: Annotated[int, Parameter(query="page", ge=1, le=1_000_000, required=False)] = 1,
    page_size: Annotated[int, Parameter(query="limit", ge=1, le=100, required=False)] = 20,
) -> PageRequest:
    page = PageRequest(page_number, page_size)
    if page.offset > MAX_OFFSET:
        raise InvalidInput(
            f"pages reach {MAX_OFFSET} rows deep; narrow the list with its filters instead", "page"
        )
    return page
