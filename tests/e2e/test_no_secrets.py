"""No response or log line carries a password, a hash, a token or a key."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.api import PASSWORD, by_api_key, sign_up, with_organisation
from tests.support.servers import JWT_SECRET, Server

pytestmark = pytest.mark.e2e


def test_secrets_stay_out_of_responses_and_logs(client: httpx.Client, server: Server) -> None:
    bodies: list[str] = []

    def keep(response: httpx.Response) -> httpx.Response:
        bodies.append(response.text)
        return response

    owner = with_organisation(client)
    user = sign_up(client)
    keep(client.post("/api/auth/login", json={"email": user.email, "password": "wrong-password-1"}))
    pair = client.post(
        "/api/auth/refresh", json={"refreshToken": user.refresh_token}
    ).json()  # issues it: not kept
    keep(client.post("/api/auth/refresh", json={"refreshToken": user.refresh_token}))  # a reuse
    created = owner.ok(
        "POST",
        "/api/api-keys",
        201,
        json={"name": "k", "organisationId": owner.organisation_id, "scopes": ["catalog:read"]},
    )
    key = created["key"]
    keyed = by_api_key(client, key)
    keep(keyed.get("/api/resource-types"))
    keep(keyed.get("/api/users/me"))
    keep(client.get("/api/resource-types", headers={"X-API-Key": key + "x"}))
    keep(owner.get("/api/api-keys"))
    keep(owner.get("/api/users/me"))
    keep(owner.get(f"/api/organisations/{owner.organisation_id}/members"))
    keep(
        owner.post(
            f"/api/organisations/{owner.organisation_id}/members",
            json={"email": user.email, "role": "viewer"},
        )
    )
    rt = owner.resource_type()
    keep(owner.get(f"/api/resources/{owner.resource(rt['id'])['id']}"))
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    contact = {
        "customerName": "Zebulon Quartz",
        "customerEmail": "zebulon.quartz@example.org",
        "customerPhone": "+44 7700 900123",
    }
    booked = client.post(
        f"/api/public/booking/organisations/{owner.slug}/reserve",
        json={
            "resourceTypeId": rt["id"],
            "startTime": tomorrow.isoformat(),
            "endTime": (tomorrow + timedelta(hours=1)).isoformat(),
        }
        | contact,
    )
    assert booked.status_code == 201, booked.text
    manage_token = booked.json()["manageToken"]
    keep(client.get(f"/api/public/reservations/{manage_token}"))
    public_token = owner.ok(
        "GET", f"/api/resources/{owner.ok('GET', '/api/resources')['data'][0]['id']}/public-token"
    )
    keep(client.get(f"/api/public/booking/{public_token['publicBookingToken']}"))

    secrets = {
        "password": PASSWORD,
        "jwt secret": JWT_SECRET,
        "access token": owner.token,
        "refresh token": user.refresh_token,
        "rotated refresh token": pair["refreshToken"],
        "api key": key,
        "api key hash": hashlib.sha256(key.encode()).hexdigest(),
        "refresh token hash": hashlib.sha256(user.refresh_token.encode()).hexdigest(),
        "manage token": manage_token,
        "resource booking token": public_token["publicBookingToken"],
    }
    log = server.log()
    assert log.strip(), "the server wrote no log at all"
    for name, value in secrets.items():
        assert value not in log, f"the {name} appears in the server log"
        assert all(value not in body for body in bodies), f"the {name} appears in a response"
    for marker in (
        "$argon2",
        "password_hash",
        "passwordHash",
        "key_hash",
        "keyHash",
        "token_hash",
        "tokenHash",
    ):
        assert marker not in log
        assert all(marker not in body for body in bodies), marker


def test_error_paths_log_no_customer_data_no_tokens_and_no_raw_paths() -> None:
    """Defect 19: database errors logged their bound parameters (names, e-mails, phones, booking tokens) and
    the 500 handler the raw path (with the manage token). A column is taken away under a running server."""
    from tests.support import databases
    from tests.support.payments import sql
    from tests.support.servers import base_env, run_cli

    url = databases.create_database("booking_errors")
    assert run_cli("migrate", env=base_env(url)).returncode == 0
    srv = Server(base_env(url))
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as http:
            owner = with_organisation(http)
            rt = owner.resource_type()
            room = owner.resource(rt["id"])
            token = owner.ok("GET", f"/api/resources/{room['id']}/public-token")["publicBookingToken"]
            start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
            contact = {
                "customerName": "Ottoline Vexworth",
                "customerEmail": "ottoline.vexworth@example.net",
                "customerPhone": "+31 20 555 0199",
            }
            booked = http.post(
                f"/api/public/booking/{token}/reserve",
                json={"startTime": start.isoformat(), "endTime": (start + timedelta(hours=1)).isoformat()}
                | contact,
            ).json()
            manage = booked["manageToken"]
            sql(url, "ALTER TABLE reservations RENAME COLUMN cancel_reason TO cancel_reason_gone")
            failures = [
                http.get(f"/api/public/reservations/{manage}"),
                owner.post(
                    "/api/reservations",
                    json={
                        "resourceId": room["id"],
                        "startTime": (start + timedelta(hours=3)).isoformat(),
                        "endTime": (start + timedelta(hours=4)).isoformat(),
                        "customerInfo": {
                            "name": contact["customerName"],
                            "email": contact["customerEmail"],
                            "phone": contact["customerPhone"],
                        },
                    },
                ),
                http.post(
                    f"/api/public/booking/{token}/reserve",
                    json={
                        "startTime": (start + timedelta(hours=6)).isoformat(),
                        "endTime": (start + timedelta(hours=7)).isoformat(),
                    }
                    | contact,
                ),
            ]
            assert {f.status_code for f in failures} == {500}, [f.text for f in failures]
            assert all(f.json()["code"] == "INTERNAL_ERROR" for f in failures)
        log = srv.log()
    finally:
        srv.stop()
        databases.drop_database(url)
    assert "unhandled error on GET /api/public/reservations/{manage_token}" in log
    for name, value in {
        "customer name": contact["customerName"],
        "customer e-mail": contact["customerEmail"],
        "customer phone": contact["customerPhone"],
        "manage token": manage,
        "manage token hash": hashlib.sha256(manage.encode()).hexdigest(),
        "resource booking token": token,
    }.items():
        assert value not in log, f"the {name} appears in the server log"
