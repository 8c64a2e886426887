"""The OpenAPI document says what the server does (issue: a generated client must be able to trust it):
short stable camelCase operation ids, no credentials on public, auth and system routes, problem details
for every error, the header parameters the routes read."""

from __future__ import annotations

import re
from typing import Any

import pytest

from entrypoints.app import create_app
from entrypoints.http.openapi import OPERATION_IDS
from entrypoints.settings import from_env

METHODS = ("get", "post", "put", "patch", "delete", "head")


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = from_env({"DATABASE_URL": "postgresql://x/y"}, state_dir=tmp_path_factory.mktemp("state"))
    return create_app(settings).openapi_schema.to_schema()


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": op
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def test_every_operation_has_its_own_short_camel_case_id(document: dict[str, Any]) -> None:
    ops = operations(document)
    ids = [op["operationId"] for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-zA-Z]{2,40}", i) for i in ids), ids
    assert set(ops) == set(OPERATION_IDS)  # no id left in the table for a route that is gone
    assert ops["POST /api/reservations"]["operationId"] == "createReservation"
    assert ops["POST /api/public/booking/organisations/{slug}/reserve"]["operationId"] == "reserveBySlug"


def test_public_auth_and_system_routes_need_no_credentials_and_the_rest_say_which(
    document: dict[str, Any],
) -> None:
    ops = operations(document)
    assert "security" not in document or not document["security"]
    for key, op in ops.items():
        path = key.split(" ", 1)[1]
        open_route = path.startswith(
            ("/api/public/", "/api/auth/", "/health", "/ready", "/metrics", "/ical/")
        )
        open_route |= path.startswith("/api/payments/stripe/")
        if open_route:
            assert op.get("security") in ([], [{}, {"BearerToken": []}]), key
        else:
            assert {next(iter(s)) for s in op["security"]} == {
                "BearerToken",
                "ApiKey",
                "ApiKeyAuthorization",
            }, key
            assert any(p["name"] == "X-Organisation-Id" for p in op["parameters"]), key


def test_errors_are_problem_details_with_a_closed_set_of_codes(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]
    assert {"SLOT_UNAVAILABLE", "VALIDATION_ERROR", "RATE_LIMITED", "IDEMPOTENCY_KEY_REUSED"} <= set(
        problem["properties"]["code"]["enum"]
    )
    for key, op in operations(document).items():
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                (media,) = response["content"]
                assert media == "application/problem+json", (key, status)
                assert response["content"][media]["schema"] == {"$ref": "#/components/schemas/Problem"}
        assert "400" in op["responses"], key


def test_headers_read_and_answered_are_documented(document: dict[str, Any]) -> None:
    ops = operations(document)
    create = ops["POST /api/reservations"]
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    assert {"Idempotent-Replayed", "ETag"} <= set(create["responses"]["201"]["headers"])
    update = ops["PATCH /api/reservations/{reservation_id}"]
    assert "If-Match" in {p["name"] for p in update["parameters"]}
    assert "412" in update["responses"]
    assert (
        "Retry-After"
        in ops["POST /api/public/booking/organisations/{slug}/reserve"]["responses"]["429"]["headers"]
    )
    assert {t["name"] for t in document["tags"]} >= {t for op in ops.values() for t in op.get("tags", [])}
    assert all(t.get("description") for t in document["tags"])


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(document)  # raises with the first violation
