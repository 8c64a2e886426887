"""Stripe's wire format: bracket-encoded form bodies in, Stripe-shaped JSON and errors out."""

from __future__ import annotations

import re
import secrets
import string
import time
from typing import Any
from urllib.parse import parse_qsl

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_ALPHABET = string.ascii_letters + string.digits


class StripeError(Exception):
    """An API error; rendered as ``{"error": {...}}`` with ``status``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"type": type_, "message": message}
        if code is not None:
            self.body["code"] = code
            self.body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param is not None:
            self.body["param"] = param

    def payload(self, request_id: str) -> dict[str, Any]:
        return {
            "error": {**self.body, "request_log_url": f"https://dashboard.stripe.com/test/logs/{request_id}"}
        }


def new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_test_{''.join(secrets.choice(_ALPHABET) for _ in range(length))}"


def names(text: str) -> frozenset[str]:
    """``names("a b c")`` -> the set of parameter names."""
    return frozenset(text.split())


def now() -> int:
    return int(time.time())


def parse_form(text: str) -> dict[str, Any]:
    """``a[b][0][c]=1&expand[]=x`` -> ``{"a": {"b": [{"c": "1"}]}, "expand": ["x"]}``."""
    root: dict[str, Any] = {}
    for raw_key, value in parse_qsl(text, keep_blank_values=True):
        match = _KEY.match(raw_key)
        if match is None:
            raise StripeError(400, f"Invalid parameter name: {raw_key}", param=raw_key)
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node: dict[str, Any] = root
        for part in parts[:-1]:
            key = part if part != "" else str(len(node))
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise StripeError(
                    400, f"Invalid parameter: {raw_key} mixes a value and a hash", param=raw_key
                )
        last = parts[-1] if parts[-1] != "" else str(len(node))
        node[last] = value
    result: dict[str, Any] = _listify(root)
    return result


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def as_int(value: Any, param: str, *, minimum: int | None = None) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        number = int(value)
    else:
        raise StripeError(400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=param)
    if minimum is not None and number < minimum:
        raise StripeError(
            400,
            f"This value must be greater than or equal to {minimum}.",
            code="parameter_invalid_integer",
            param=param,
        )
    return number


def as_bool(value: Any, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise StripeError(400, f"Invalid boolean: {value}", param=param)


def as_dict(value: Any, param: str) -> dict[str, Any]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise StripeError(400, f"Invalid object: {param} must be a hash", param=param)
    return value


def as_list(value: Any, param: str) -> list[Any]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise StripeError(400, f"Invalid array: {param} must be an array", param=param)
    return value


def require(params: dict[str, Any], name: str, param: str | None = None) -> Any:
    """``params[name]`` or Stripe's parameter_missing error naming ``param`` (the full bracketed name)."""
    value = params.get(name)
    if value in (None, ""):
        param = param or name
        raise StripeError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)
    return value


def reject_unknown(params: dict[str, Any], allowed: frozenset[str], prefix: str = "") -> None:
    for key in params:
        if key not in allowed:
            name = f"{prefix}[{key}]" if prefix else key
            raise StripeError(
                400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name
            )


def check_metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    metadata = as_dict(value, param)
    if len(metadata) > 50:
        raise StripeError(400, "Metadata can have at most 50 keys.", param=param)
    for key, item in metadata.items():
        if len(key) > 40:
            raise StripeError(
                400, f"Metadata keys can have up to 40 characters: {key}", param=f"{param}[{key}]"
            )
        if not isinstance(item, str) or len(item) > 500:
            raise StripeError(
                400, "Metadata values must be strings of up to 500 characters.", param=f"{param}[{key}]"
            )
    return {key: item for key, item in metadata.items() if item != ""}


def check_url(value: Any, param: str) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value):
        raise StripeError(400, "Not a valid URL", code="url_invalid", param=param)
    return value


def stripe_list(items: list[dict[str, Any]], url: str, limit: int = 10) -> dict[str, Any]:
    return {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": url}
