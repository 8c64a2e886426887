"""Identity: register, login, refresh rotation with reuse detection, JWT verification, active organisation."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from tests.support.api import PASSWORD, sign_up, unique, with_organisation
from tests.support.servers import JWT_SECRET

pytestmark = pytest.mark.e2e


def test_register_login_and_me(client: httpx.Client) -> None:
    email = f"{unique('ann')}@example.com"
    r = client.post("/api/auth/register", json={"email": email, "password": PASSWORD, "name": "Ann"})
    assert r.status_code == 201
    assert r.json() == {"id": r.json()["id"], "email": email, "name": "Ann"}
    dup = client.post(
        "/api/auth/register", json={"email": email.upper(), "password": PASSWORD, "name": "Ann"}
    )
    assert dup.status_code == 409
    assert dup.json()["code"] == "ALREADY_EXISTS"
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD}).json()
    assert login["tokenType"] == "Bearer"
    assert login["expiresIn"] == 900
    me = client.get("/api/users/me", headers={"Authorization": f"Bearer {login['accessToken']}"}).json()
    assert me == {
        "id": me["id"],
        "email": email,
        "name": "Ann",
        "activeOrganisationId": None,
        "organisations": [],
    }


@pytest.mark.parametrize("password", ["short", "x" * 129])
def test_passwords_are_10_to_128_characters(client: httpx.Client, password: str) -> None:
    r = client.post(
        "/api/auth/register", json={"email": f"{unique('p')}@example.com", "password": password, "name": "P"}
    )
    assert r.status_code == 400
    assert r.json()["code"] == "VALIDATION_ERROR"
    assert r.headers["content-type"].startswith("application/problem+json")


def test_unknown_email_and_wrong_password_look_the_same(client: httpx.Client) -> None:
    user = sign_up(client)
    unknown = {"email": f"{unique('nobody')}@example.com", "password": PASSWORD}
    wrong = {"email": user.email, "password": "not-the-password"}
    times: dict[str, list[float]] = {"unknown": [], "wrong": []}
    bodies = {}
    for _ in range(6):
        for name, body in (("unknown", unknown), ("wrong", wrong)):
            start = time.perf_counter()
            r = client.post("/api/auth/login", json=body)
            times[name].append(time.perf_counter() - start)
            assert r.status_code == 401
            bodies[name] = r.json()
    assert bodies["unknown"] == bodies["wrong"]
    # Both pay for one argon2 verification: the medians stay within a factor of two of each other.
    ratio = statistics.median(times["unknown"]) / statistics.median(times["wrong"])
    assert 0.5 < ratio < 2.0, times


def test_refresh_rotates_and_a_reused_token_revokes_the_family(client: httpx.Client) -> None:
    user = sign_up(client)
    first = client.post("/api/auth/refresh", json={"refreshToken": user.refresh_token})
    assert first.status_code == 200
    pair = first.json()
    assert pair["refreshToken"] != user.refresh_token
    assert (
        client.get("/api/users/me", headers={"Authorization": f"Bearer {pair['accessToken']}"}).status_code
        == 200
    )
    reuse = client.post("/api/auth/refresh", json={"refreshToken": user.refresh_token})
    assert reuse.status_code == 401
    # the whole family is revoked: the token issued by the rotation no longer works either
    assert client.post("/api/auth/refresh", json={"refreshToken": pair["refreshToken"]}).status_code == 401
    # an unrelated login still works
    assert client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD}).status_code == 200


def _claims(user_id: int, **changes: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": str(user_id),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "iss": "booking-platform",
        "aud": "booking-platform-api",
    }
    claims.update(changes)
    return claims


def _none_token(claims: dict[str, object]) -> str:
    import base64
    import json

    def b64(part: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


def test_forged_and_expired_tokens_are_refused(client: httpx.Client) -> None:
    user = sign_up(client)
    good = jwt.encode(_claims(user.user_id), JWT_SECRET, algorithm="HS256")
    assert client.get("/api/users/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    forged = {
        "alg none": _none_token(_claims(user.user_id)),
        "another algorithm": jwt.encode(_claims(user.user_id), JWT_SECRET, algorithm="HS512"),
        "bad signature": jwt.encode(
            _claims(user.user_id), "another-secret-of-enough-length-xx", algorithm="HS256"
        ),
        "expired": jwt.encode(
            _claims(user.user_id, exp=int(time.time()) - 10), JWT_SECRET, algorithm="HS256"
        ),
        "wrong issuer": jwt.encode(_claims(user.user_id, iss="someone-else"), JWT_SECRET, algorithm="HS256"),
        "wrong audience": jwt.encode(_claims(user.user_id, aud="another-api"), JWT_SECRET, algorithm="HS256"),
        "garbage": "not.a.jwt",
    }
    for name, token in forged.items():
        r = client.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, name
        assert r.json()["code"] == "UNAUTHORIZED", name
    assert client.get("/api/users/me").status_code == 401


def test_active_organisation_resolution(client: httpx.Client) -> None:
    owner = with_organisation(client)
    first = owner.organisation_id
    owner.organisation_id = None  # send no X-Organisation-Id: the only organisation is used
    assert owner.ok("GET", "/api/resource-types")["data"] == []
    second = owner.ok(
        "POST",
        "/api/organisations",
        201,
        json={"name": "Second", "slug": unique("second"), "timezone": "UTC", "currency": "usd"},
    )["id"]
    # the first organisation became the stored active one when it was created
    assert owner.ok("GET", "/api/users/me")["activeOrganisationId"] == first
    owner.ok("PUT", "/api/users/me/active-organisation", 200, json={"organisationId": second})
    assert owner.ok("GET", "/api/users/me")["activeOrganisationId"] == second
    # naming an organisation the user is not a member of is 404, in the body and in the header
    stranger = with_organisation(client)
    r = owner.request(
        "PUT", "/api/users/me/active-organisation", json={"organisationId": stranger.organisation_id}
    )
    assert r.status_code == 404
    r = owner.get("/api/resource-types", headers={"X-Organisation-Id": str(stranger.organisation_id)})
    assert r.status_code == 404
    assert r.json()["code"] == "NOT_FOUND"


def test_a_user_with_several_organisations_and_none_active_must_name_one(client: httpx.Client) -> None:
    user = sign_up(client)
    a = with_organisation(client)
    b = with_organisation(client)
    for owner in (a, b):
        owner.ok(
            "POST",
            f"/api/organisations/{owner.organisation_id}/members",
            201,
            json={"email": user.email, "role": "staff"},
        )
    r = user.get("/api/resource-types")
    assert r.status_code == 400
    assert r.json()["code"] == "ORGANISATION_REQUIRED"
    assert (
        user.get("/api/resource-types", headers={"X-Organisation-Id": str(a.organisation_id)}).status_code
        == 200
    )
