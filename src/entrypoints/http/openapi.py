"""The OpenAPI document as the server behaves (API.md): short stable operation ids, tags with their
descriptions, per operation the security it needs (none on public, auth and system routes), the header
parameters it reads, the problem-details responses it can give and the headers it answers with. Each of
these is derived from the route handlers themselves (their dependencies, path parameters, methods and
`opt` flags) when the document is first built, so a new route is described the moment it exists."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.exceptions import ImproperlyConfiguredException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIResponse,
    Operation,
    Parameter,
    Reference,
    Schema,
    Tag,
)
from litestar.openapi.spec import (
    OpenAPIHeader as Header,
)
from litestar.openapi.spec import (
    OpenAPIMediaType as MediaType,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.routes import HTTPRoute
from litestar.types import Method

from entrypoints.http.errors import HTTP_CODES, PROBLEM, TABLE

TAGS = [
    Tag("system", "Health, readiness and metrics for operators. No credentials."),
    Tag("identity", "Accounts, tokens, API keys and the active organisation."),
    Tag("organisations", "Organisations, their members and settings."),
    Tag("catalog", "Resource types (what can be booked, by slot, night or day) and resources."),
    Tag("reservations", "Staff bookings of the active organisation: create, list, change, cancel."),
    Tag(
        "public booking",
        "What customers use without an account: catalogue, availability, quote, reserve, "
        "checkout status and the manage token.",
    ),
    Tag(
        "payments", "Stripe Connect onboarding, the payment ledger, refunds, payment links, Stripe's webhook."
    ),
    Tag("customer", "A logged-in customer's own bookings and saved cards, across organisations."),
    Tag("webhooks", "Outgoing webhook endpoints, their deliveries, ping, redelivery and secret rotation."),
    Tag("calendars", "Calendar feeds, blocks and the customer's own booking as .ics."),
]

OPERATION_IDS = {
    "GET /health": "getHealth",
    "GET /ready": "getReadiness",
    "GET /metrics": "getMetrics",
    "HEAD /metrics": "headMetrics",
    "POST /api/auth/register": "register",
    "POST /api/auth/login": "login",
    "POST /api/auth/refresh": "refreshToken",
    "GET /api/users/me": "getCurrentUser",
    "PUT /api/users/me/active-organisation": "setActiveOrganisation",
    "GET /api/api-keys": "listApiKeys",
    "POST /api/api-keys": "createApiKey",
    "DELETE /api/api-keys/{key_id}": "revokeApiKey",
    "GET /api/organisations": "listOrganisations",
    "POST /api/organisations": "createOrganisation",
    "GET /api/organisations/{organisation_id}": "getOrganisation",
    "PATCH /api/organisations/{organisation_id}": "updateOrganisation",
    "GET /api/organisations/{organisation_id}/members": "listMembers",
    "POST /api/organisations/{organisation_id}/members": "addMember",
    "PATCH /api/organisations/{organisation_id}/members/{user_id}": "changeMemberRole",
    "DELETE /api/organisations/{organisation_id}/members/{user_id}": "removeMember",
    "GET /api/resource-types": "listResourceTypes",
    "POST /api/resource-types": "createResourceType",
    "GET /api/resource-types/{type_id}": "getResourceType",
    "PATCH /api/resource-types/{type_id}": "updateResourceType",
    "DELETE /api/resource-types/{type_id}": "deleteResourceType",
    "GET /api/resources": "listResources",
    "POST /api/resources": "createResource",
    "GET /api/resources/{resource_id}": "getResource",
    "PATCH /api/resources/{resource_id}": "updateResource",
    "DELETE /api/resources/{resource_id}": "deleteResource",
    "GET /api/resources/{resource_id}/public-token": "getResourceBookingToken",
    "POST /api/resources/{resource_id}/regenerate-token": "regenerateResourceBookingToken",
    "GET /api/reservations": "listReservations",
    "POST /api/reservations": "createReservation",
    "GET /api/reservations/{reservation_id}": "getReservation",
    "PATCH /api/reservations/{reservation_id}": "updateReservation",
    "DELETE /api/reservations/{reservation_id}": "deleteReservation",
    "POST /api/reservations/{reservation_id}/cancel": "cancelReservation",
    "GET /api/reservations/{reservation_id}/payments": "listReservationPayments",
    "POST /api/reservations/{reservation_id}/refund": "refundReservation",
    "POST /api/reservations/{reservation_id}/payment-link": "createPaymentLink",
    "GET /api/public/booking/organisations/{slug}": "getCatalogBySlug",
    "GET /api/public/booking/organisations/{slug}/availability": "getAvailabilityBySlug",
    "GET /api/public/booking/organisations/{slug}/calendar": "getCalendarBySlug",
    "POST /api/public/booking/organisations/{slug}/quote": "quoteBySlug",
    "POST /api/public/booking/organisations/{slug}/reserve": "reserveBySlug",
    "GET /api/public/booking/organisations/{slug}/checkout-status": "getCheckoutStatusBySlug",
    "POST /api/public/booking/organisations/{slug}/checkout-retry": "retryCheckoutBySlug",
    "POST /api/public/booking/organisations/{slug}/find-booking": "findBookingBySlug",
    "GET /api/public/booking/{token}": "getCatalogByToken",
    "GET /api/public/booking/{token}/availability": "getAvailabilityByToken",
    "GET /api/public/booking/{token}/calendar": "getCalendarByToken",
    "POST /api/public/booking/{token}/quote": "quoteByToken",
    "POST /api/public/booking/{token}/reserve": "reserveByToken",
    "GET /api/public/booking/{token}/checkout-status": "getCheckoutStatusByToken",
    "POST /api/public/booking/{token}/checkout-retry": "retryCheckoutByToken",
    "GET /api/public/reservations/{manage_token}": "getManagedBooking",
    "POST /api/public/reservations/{manage_token}/cancel": "cancelManagedBooking",
    "POST /api/public/reservations/{manage_token}/reschedule": "rescheduleManagedBooking",
    "GET /api/public/reservations/{manage_token}/calendar.ics": "getManagedBookingCalendar",
    "GET /api/payments/stripe/config": "getStripeConfig",
    "POST /api/payments/stripe/webhook": "receiveStripeWebhook",
    "GET /api/organisations/{organisation_id}/stripe/connect": "getStripeConnectStatus",
    "POST /api/organisations/{organisation_id}/stripe/connect": "startStripeConnect",
    "GET /api/webhook-endpoints": "listWebhookEndpoints",
    "POST /api/webhook-endpoints": "createWebhookEndpoint",
    "GET /api/webhook-endpoints/{endpoint_id}": "getWebhookEndpoint",
    "PATCH /api/webhook-endpoints/{endpoint_id}": "updateWebhookEndpoint",
    "DELETE /api/webhook-endpoints/{endpoint_id}": "deleteWebhookEndpoint",
    "POST /api/webhook-endpoints/{endpoint_id}/ping": "pingWebhookEndpoint",
    "POST /api/webhook-endpoints/{endpoint_id}/rotate-secret": "rotateWebhookSecret",
    "GET /api/webhook-endpoints/{endpoint_id}/deliveries": "listWebhookDeliveries",
    "POST /api/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver": "redeliverWebhook",
    "GET /api/resources/{resource_id}/blocks": "listBlocks",
    "POST /api/resources/{resource_id}/blocks": "createBlock",
    "DELETE /api/resources/{resource_id}/blocks/{block_id}": "deleteBlock",
    "GET /api/organisations/{organisation_id}/calendar-feed": "getOrganisationFeed",
    "POST /api/organisations/{organisation_id}/calendar-feed/regenerate": "regenerateOrganisationFeed",
    "GET /api/resources/{resource_id}/calendar-feed": "getResourceFeed",
    "POST /api/resources/{resource_id}/calendar-feed/regenerate": "regenerateResourceFeed",
    "GET /ical/{feed}": "getCalendarFeed",
    "GET /api/me/bookings": "listMyBookings",
    "GET /api/me/bookings/{reference}": "getMyBooking",
    "POST /api/me/bookings/{reference}/cancel": "cancelMyBooking",
    "POST /api/me/bookings/{reference}/reschedule": "rescheduleMyBooking",
    "GET /api/me/bookings/{reference}/calendar.ics": "getMyBookingCalendar",
    "POST /api/me/bookings/{reference}/pay": "payMyBooking",
    "POST /api/me/bookings/{reference}/checkout": "checkoutMyBooking",
    "GET /api/me/payment-methods": "listPaymentMethods",
    "POST /api/me/payment-methods": "addPaymentMethod",
    "POST /api/me/payment-methods/setup-intent": "createSetupIntent",
    "DELETE /api/me/payment-methods/{card_id}": "deletePaymentMethod",
}


def operation_id(handler: HTTPRouteHandler, method: Method, components: list[Any]) -> str:
    """The operation's id from the table above; a route missing from it fails the app's start."""
    path = "/" + "/".join(f"{{{c.name}}}" if hasattr(c, "name") else str(c) for c in components if c != "")
    key = f"{getattr(method, 'value', method)} {path}"
    found = OPERATION_IDS.get(key)
    if found is None:
        raise ImproperlyConfiguredException(f"no operationId for {key}: add it to OPERATION_IDS")
    return found


# Problem details (RFC 9457), the one error body of the API; `code` is one of these.
CODES = sorted(
    {code for _, code, _ in TABLE.values()}
    | {code for code, _ in HTTP_CODES.values()}
    | {"RATE_LIMITED", "IDEMPOTENCY_KEY_REUSED", "IDEMPOTENCY_IN_PROGRESS", "INTERNAL_ERROR"}
)
PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["type", "title", "status", "detail", "code"],
    properties={
        "type": Schema(type=OpenAPIType.STRING, description="urn:booking:problem:<code>"),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "code": Schema(type=OpenAPIType.STRING, enum=CODES),
        "errors": Schema(
            type=OpenAPIType.ARRAY,
            description="Present on 400: which fields were refused and why.",
            items=Schema(
                type=OpenAPIType.OBJECT,
                required=["field", "message"],
                properties={
                    "field": Schema(type=OpenAPIType.STRING),
                    "message": Schema(type=OpenAPIType.STRING),
                },
            ),
        ),
    },
    description="An error, as RFC 9457 problem details (application/problem+json).",
)
WHY = {
    400: "The request is not valid (the fields refused are in `errors`).",
    401: "Missing, bad, expired or revoked credentials.",
    403: "The credentials do not allow this (role, API key scope, or not a member).",
    404: "No such thing, or not yours.",
    409: "The request conflicts with the current state (a taken slot, a status change not allowed, …).",
    412: "If-Match names an older version of the reservation.",
    422: "The Idempotency-Key was used before with a different request.",
    429: "Too many requests; Retry-After says when to try again.",
    502: "The payment provider failed; nothing was changed here.",
    503: "The service cannot answer now (the database); Retry-After says when to try again.",
}
INT = Schema(type=OpenAPIType.INTEGER)
RETRY_AFTER = Header(schema=INT, description="Seconds to wait before trying again.")
RATE_HEADERS = {
    "RateLimit-Limit": Header(schema=INT, description="Requests allowed in the window."),
    "RateLimit-Remaining": Header(schema=INT, description="Requests left in the window."),
    "RateLimit-Reset": Header(schema=INT, description="Seconds until the window resets."),
}
WRITES = ("POST", "PUT", "PATCH", "DELETE")
# A handler's `opt` says what the document cannot see in its signature: an Idempotency-Key it honours, a
# payment provider it calls (502), If-Match it reads (412), an ETag it answers with.
WRITE_OPT = {"idempotent": True, "provider": True}
CUSTOMER_OPT = WRITE_OPT | {
    "customer": True
}  # a public write that a logged-in customer may make as themselves


def _problem(status: int) -> OpenAPIResponse:
    headers: dict[str, Header | Reference] | None = (
        {"Retry-After": RETRY_AFTER} if status in (429, 503) else None
    )
    return OpenAPIResponse(
        description=WHY[status],
        content={PROBLEM: MediaType(schema=Reference("#/components/schemas/Problem"))},
        headers=headers,
    )


def _header(name: str, description: str, required: bool = False) -> Parameter:
    return Parameter(
        name=name,
        param_in="header",
        required=required,
        schema=Schema(type=OpenAPIType.STRING),
        description=description,
    )


def _statuses(handler: HTTPRouteHandler, method: str, path: str, authenticated: bool) -> list[int]:
    found = {400, 503}
    if authenticated:
        found |= {401, 403, 404, 429}  # an id in the body or query that is not the organisation's is 404
    if path.startswith("/api/auth/") or handler.opt.get("token"):
        found.add(401)  # wrong password, a spent refresh token, a wrong METRICS_TOKEN
    if handler.opt.get("customer"):
        found.add(401)  # a customer's token that is sent but not valid
    if handler.opt.get("rate_limit"):
        found.add(429)
    if "{" in path:
        found.add(404)
    if method in WRITES:
        found.add(409)
    if handler.opt.get("idempotent"):
        found.add(422)
    if handler.opt.get("if_match"):
        found.add(412)
    if handler.opt.get("provider"):
        found.add(502)
    return sorted(found)


def _describe(op: Operation, handler: HTTPRouteHandler, method: str, path: str) -> None:
    authenticated = "caller" in handler.parsed_fn_signature.parameters
    if authenticated:
        op.security = [{"BearerToken": []}, {"ApiKey": []}, {"ApiKeyAuthorization": []}]
    else:  # a public route; a customer may say who they are with their token (API.md section 13)
        op.security = [{}, {"BearerToken": []}] if handler.opt.get("customer") else []
    params = list(op.parameters or [])
    if authenticated:
        params.append(
            _header("X-Organisation-Id", "The organisation to act in, when not the user's active one.")
        )
    if handler.opt.get("idempotent"):
        params.append(
            _header("Idempotency-Key", "Sent again with the same request, the first answer is replayed.")
        )
    if handler.opt.get("if_match"):
        params.append(_header("If-Match", 'The version the change is based on, e.g. "3" (from ETag).'))
    op.parameters = params or None
    responses = dict(op.responses or {})
    responses.pop("400", None)  # Litestar's own {status_code, detail, extra}: not what is answered
    for status in _statuses(handler, method, path, authenticated):
        responses[str(status)] = _problem(status)
    for code, response in responses.items():
        if not code.startswith("2") or not isinstance(response, OpenAPIResponse):
            continue
        if handler.opt.get("media") and response.content:  # a calendar or the metrics, not JSON
            response.content = {handler.opt["media"]: MediaType(schema=Schema(type=OpenAPIType.STRING))}
        headers = dict(response.headers or {})
        if handler.opt.get("rate_limit") or authenticated:
            headers |= RATE_HEADERS
        if handler.opt.get("idempotent"):
            headers["Idempotent-Replayed"] = Header(
                schema=Schema(type=OpenAPIType.STRING, enum=["true"]),
                description="Present when this is the replayed answer of an earlier request.",
            )
        if handler.opt.get("etag"):
            headers["ETag"] = Header(
                schema=Schema(type=OpenAPIType.STRING), description='The version, e.g. "3".'
            )
        response.headers = headers or None
    op.responses = responses


def describe(app: Litestar) -> None:
    """Complete the generated document from the handlers (see the module's docstring)."""
    plugin = app.plugins.get(OpenAPIPlugin)
    document: OpenAPI = plugin.provide_openapi()
    assert document.components is not None
    document.components.schemas = {**(document.components.schemas or {}), "Problem": PROBLEM_SCHEMA}
    document.security = None  # each operation says what it needs
    document.tags = TAGS
    _closed_bodies(document)
    for path, route in plugin.included_routes.items():
        if not isinstance(route, HTTPRoute):
            continue
        item = (document.paths or {}).get(route.path_format or "/")
        if item is None:
            continue
        for method, (handler, _) in route.route_handler_map.items():
            op = getattr(item, str(method).lower(), None)
            if isinstance(op, Operation):
                _describe(op, handler, str(getattr(method, "value", method)), path)


def _closed_bodies(document: OpenAPI) -> None:
    """Request bodies refuse unknown fields (their structs forbid them): `additionalProperties: false`,
    on the body and every object schema it refers to."""
    schemas = (document.components.schemas if document.components else None) or {}
    seen: set[str] = set()

    def close(schema: Any) -> None:
        if isinstance(schema, Reference):
            name = schema.ref.rsplit("/", 1)[-1]
            if name in seen or name not in schemas:
                return
            seen.add(name)
            schema = schemas[name]
        if not isinstance(schema, Schema):
            return
        if schema.type == OpenAPIType.OBJECT or schema.properties:
            schema.additional_properties = False
        for child in (
            *(schema.properties or {}).values(),
            schema.items,
            *(schema.one_of or []),
            *(schema.any_of or []),
        ):
            if child is not None:
                close(child)

    for item in (document.paths or {}).values():
        for method in ("post", "put", "patch"):
            op = getattr(item, method, None)
            body = op.request_body if isinstance(op, Operation) else None
            for media in (getattr(body, "content", None) or {}).values():
                close(media.schema)
