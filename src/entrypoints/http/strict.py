"""Requests read strictly before any handler runs: bodies decoded against their type with no coercion
("60" is not an integer), nesting bounded by the type, and query parameters a route does not take refused.

Litestar converts bodies leniently (strings into numbers) and ignores unknown query parameters; a filter
that is silently dropped returns every row, so both are refused here with a 400 that names the field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.routes import HTTPRoute

from domain.errors import InvalidInput

_AT = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")
_NAMED = re.compile(r"(?:unknown|missing required) field `(?P<name>[^`]+)`")


@dataclass(frozen=True)
class Expected:
    """What one route handler reads from a request: its query parameters and the type of its body."""

    query: frozenset[str]
    body: Any | None


def _expectations(app: Litestar) -> dict[int, Expected]:
    found: dict[int, Expected] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler, kwargs_model in route.route_handler_map.values():
            data = handler.parsed_fn_signature.parameters.get("data")
            query = frozenset(p.field_alias for p in kwargs_model.expected_query_params)
            found[id(handler)] = Expected(query, data.annotation if data is not None else None)
    return found


def _expected(request: Request[Any, Any, Any]) -> Expected | None:
    state = request.app.state
    table: dict[int, Expected] | None = state.get("strict_expectations")
    if table is None:
        table = _expectations(request.app)
        state["strict_expectations"] = table
    return table.get(id(request.route_handler))


def field_of(error: msgspec.ValidationError) -> tuple[str, str]:
    """The field path and message of a msgspec validation error, e.g. ('slotMinutes', 'Expected `int`…')."""
    text = str(error)
    match = _AT.search(text)
    path, message = (match.group("path"), text[: match.start()]) if match else ("", text)
    named = _NAMED.search(message)
    if named is not None:  # the field itself, not the object that lacks or has it
        path = f"{path}.{named.group('name')}" if path else named.group("name")
    return path or "body", message


async def strict_request(request: Request[Any, Any, Any]) -> None:
    """before_request hook: refuse unknown query parameters and bodies that only a lenient decoder accepts."""
    if not request.scope["path"].startswith("/api/"):
        return
    expected = _expected(request)
    if expected is None:
        return
    if request.scope.get("query_string"):
        unknown = sorted(set(request.query_params) - expected.query)
        if unknown:
            raise InvalidInput(f"unknown query parameter {unknown[0]!r}", unknown[0])
    if expected.body is None:
        return
    body = await request.body()
    if not body.strip():
        return  # Litestar answers a missing required body itself; an optional one is simply absent
    try:
        msgspec.json.decode(body, type=expected.body, strict=True)
    except msgspec.ValidationError as exc:
        field, message = field_of(exc)
        raise InvalidInput(message, field) from None
    except msgspec.DecodeError:
        raise InvalidInput("the body is not valid JSON", "body") from None
    except RecursionError:
        raise InvalidInput("the body is nested too deeply", "body") from None
