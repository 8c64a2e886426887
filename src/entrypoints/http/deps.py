"""Per-request dependencies: the application context, the caller, and a page request."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import State
from litestar.params import Parameter

from application.ports import MAX_OFFSET, PageRequest
from domain.errors import InvalidInput, Unauthorized
from domain.identity import Caller
from entrypoints.composition import UseCases
from entrypoints.http.schemas.common import MAX_ID, ascii_int


def provide_use_cases(state: State) -> UseCases:
    cases: UseCases = state.runtime.use_cases
    return cases


def _organisation_header(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    number = ascii_int(value)
    if number is None or not 1 <= number <= MAX_ID:
        raise InvalidInput("X-Organisation-Id is a positive integer", "X-Organisation-Id")
    return number


async def provide_caller(request: Request[Any, Any, Any], cases: UseCases) -> Caller:
    """The caller from `Authorization: Bearer`, `X-API-Key` or `Authorization: ApiKey`; 401 without one."""
    organisation = _organisation_header(request.headers.get("x-organisation-id"))
    authorization = request.headers.get("authorization", "")
    scheme, _, credential = authorization.partition(" ")
    api_key = request.headers.get("x-api-key")
    if api_key:
        return await cases.authenticate.by_api_key(api_key.strip(), organisation)
    if scheme.lower() == "apikey" and credential.strip():
        return await cases.authenticate.by_api_key(credential.strip(), organisation)
    if scheme.lower() == "bearer" and credential.strip():
        return await cases.authenticate.by_token(credential.strip(), organisation)
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
