"""Every error as RFC 9457 problem details with a `code`; the one table from domain errors to HTTP."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from domain import errors as e

log = logging.getLogger("booking.errors")

PROBLEM = "application/problem+json"

# domain error -> (status, code, title)
TABLE: dict[type[e.DomainError], tuple[int, str, str]] = {
    e.InvalidInput: (400, "VALIDATION_ERROR", "Invalid request"),
    e.OrganisationRequired: (400, "ORGANISATION_REQUIRED", "Organisation required"),
    e.Unauthorized: (401, "UNAUTHORIZED", "Unauthorized"),
    e.Forbidden: (403, "FORBIDDEN", "Forbidden"),
    e.NotFound: (404, "NOT_FOUND", "Not found"),
    e.AlreadyExists: (409, "ALREADY_EXISTS", "Already exists"),
    e.SlotUnavailable: (409, "SLOT_UNAVAILABLE", "Slot unavailable"),
    e.OutsideBookingWindow: (409, "OUTSIDE_BOOKING_WINDOW", "Outside the booking window"),
    e.InvalidTransition: (409, "INVALID_TRANSITION", "Invalid status transition"),
    e.PaymentsUnavailable: (409, "PAYMENTS_UNAVAILABLE", "Payments unavailable"),
    e.AlreadyCancelled: (409, "ALREADY_CANCELLED", "Already cancelled"),
    e.RetryNotPossible: (409, "RETRY_NOT_POSSIBLE", "Retry not possible"),
    e.RescheduleNotPossible: (409, "RESCHEDULE_NOT_POSSIBLE", "Reschedule not possible"),
    e.RefundExceedsPayment: (409, "REFUND_EXCEEDS_PAYMENT", "Refund exceeds payment"),
    e.Conflict: (409, "CONFLICT", "Conflict"),
    e.VersionMismatch: (412, "VERSION_MISMATCH", "Version mismatch"),
    e.InvalidSignature: (400, "INVALID_SIGNATURE", "Invalid signature"),
    e.PaymentProviderError: (502, "PAYMENT_PROVIDER_ERROR", "Payment provider error"),
    e.Unavailable: (503, "SERVICE_UNAVAILABLE", "Service unavailable"),
}

HTTP_CODES = {
    400: ("VALIDATION_ERROR", "Invalid request"),
    401: ("UNAUTHORIZED", "Unauthorized"),
    403: ("FORBIDDEN", "Forbidden"),
    404: ("NOT_FOUND", "Not found"),
    405: ("METHOD_NOT_ALLOWED", "Method not allowed"),
    409: ("CONFLICT", "Conflict"),
    412: ("VERSION_MISMATCH", "Version mismatch"),
    413: ("PAYLOAD_TOO_LARGE", "Payload too large"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "Unsupported media type"),
    422: ("IDEMPOTENCY_KEY_REUSED", "Idempotency key reused"),
    429: ("RATE_LIMITED", "Too many requests"),
    503: ("SERVICE_UNAVAILABLE", "Service unavailable"),
}


def problem_body(
    status: int, code: str, title: str, detail: str, errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:booking:problem:{code.lower().replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return body


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body = problem_body(status, code, title, detail, errors)
    return Response(body, status_code=status, media_type=PROBLEM, headers=headers)


def _domain(_: Request[Any, Any, Any], exc: e.DomainError) -> Response[dict[str, Any]]:
    for cls in type(exc).__mro__:
        if cls in TABLE:
            status, code, title = TABLE[cls]
            break
    else:  # pragma: no cover - every domain error is in the table
        status, code, title = 400, "VALIDATION_ERROR", "Invalid request"
    errors = None
    if isinstance(exc, e.InvalidInput):
        errors = [{"field": exc.field or "body", "message": exc.detail}]
    headers = {"Retry-After": "1"} if status == 503 else None
    return problem(status, code, title, exc.detail, errors, headers)


def _validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            field = str(item.get("key") or item.get("source") or "body")
            errors.append({"field": field, "message": str(item.get("message", "invalid"))})
    detail = errors[0]["message"] if errors else (exc.detail or "the request is malformed")
    return problem(
        400, "VALIDATION_ERROR", "Invalid request", detail, errors or [{"field": "body", "message": detail}]
    )


def _http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    code, title = HTTP_CODES.get(status, ("ERROR", "Error"))
    if status >= 500:
        code, title = "INTERNAL_ERROR", "Internal error"
    headers = dict(exc.headers or {})
    detail = str(exc.detail or title)
    errors = [{"field": "body", "message": detail}] if status == 400 else None
    return problem(status, code, title, detail, errors, headers or None)


def _too_deep(_: Request[Any, Any, Any], exc: RecursionError) -> Response[dict[str, Any]]:
    # Only an input nested beyond reason recurses this far: refused like any malformed body.
    detail = "the request is nested too deeply"
    return problem(400, "VALIDATION_ERROR", "Invalid request", detail, [{"field": "body", "message": detail}])


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    # The route template, never the path: paths carry manage and booking tokens.
    route = request.scope.get("path_template") or "unmatched"
    log.exception("unhandled error on %s %s", request.method, route)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "Internal error", "something went wrong on our side"
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    e.DomainError: _domain,
    ValidationException: _validation,
    NotAuthorizedException: _http,
    HTTPException: _http,
    RecursionError: _too_deep,
    Exception: _unexpected,
}
