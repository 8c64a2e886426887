"""Rate limits per route and client IP: memory by default, Redis shared across processes, failing open."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.support.api import PASSWORD, with_organisation
from tests.support.servers import Server, base_env

pytestmark = pytest.mark.e2e

REDIS_DB = 9  # a database of this machine's Redis the suite owns and flushes


def limited_env(database_url: str, **extra: str) -> dict[str, str]:
    limits = {
        "RATE_LIMIT_ENABLED": "true",
        "RATE_LIMIT_PUBLIC_CATALOG": "3/minute",
        "RATE_LIMIT_PUBLIC_AVAILABILITY": "2/minute",
        "RATE_LIMIT_AUTH_LOGIN": "2/minute",
    }
    return base_env(database_url, **(limits | extra))


@pytest.fixture(scope="module")
def limited(database_url: str) -> Iterator[Server]:
    srv = Server(limited_env(database_url, TRUSTED_PROXIES="10.0.0.0/8"))
    yield srv
    srv.stop()


def test_over_the_limit_is_429_with_retry_after(limited: Server) -> None:
    with httpx.Client(base_url=limited.url) as http:
        owner = with_organisation(http)
        path = f"/api/public/booking/organisations/{owner.slug}"
        answers = [http.get(path, headers={"X-Forwarded-For": "203.0.113.9"}) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].headers["ratelimit-limit"] == "3"
        assert [a.headers["ratelimit-remaining"] for a in answers[:3]] == ["2", "1", "0"]
        refused = answers[3]
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "RATE_LIMITED"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # X-Forwarded-For from an untrusted peer (127.0.0.1 is not in TRUSTED_PROXIES) changes nothing
        assert http.get(path, headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 429
        # unknown slugs and tokens count too: guessing is throttled
        assert http.get("/api/public/booking/organisations/no-such-org").status_code == 429
        assert http.get("/api/public/booking/not-a-real-token").status_code == 429


def test_each_limit_has_its_own_counter_and_login_counts_every_attempt(
    limited: Server, database_url: str
) -> None:
    srv = Server(limited_env(database_url))
    try:
        with httpx.Client(base_url=srv.url) as http:
            owner = with_organisation(http)  # one login already spent on the AUTH_LOGIN counter
            rt = owner.resource_type()
            for _ in range(3):
                http.get(f"/api/public/booking/organisations/{owner.slug}")
            availability = f"/api/public/booking/organisations/{owner.slug}/availability"
            params = {"date": "2031-01-01", "resourceTypeId": rt["id"]}
            assert http.get(availability, params=params).status_code == 200
            assert http.get(availability, params=params).status_code == 200
            assert http.get(availability, params=params).status_code == 429
            wrong = http.post("/api/auth/login", json={"email": owner.email, "password": "wrong-password"})
            assert wrong.status_code == 401
            right = http.post(
                "/api/auth/login", json={"email": owner.email, "password": "correct-horse-battery"}
            )
            assert right.status_code == 429
            # authenticated staff routes are not rate limited by these public limits
            assert owner.get("/api/resource-types").status_code == 200
    finally:
        srv.stop()


def test_trusted_proxies_forward_the_client_address(database_url: str) -> None:
    srv = Server(limited_env(database_url, TRUSTED_PROXIES="127.0.0.0/8"))
    try:
        with httpx.Client(base_url=srv.url) as http:
            path = "/api/public/booking/organisations/nobody-here"
            for _ in range(3):
                assert http.get(path, headers={"X-Forwarded-For": "203.0.113.1"}).status_code == 404
            assert http.get(path, headers={"X-Forwarded-For": "203.0.113.1"}).status_code == 429
            assert http.get(path, headers={"X-Forwarded-For": "203.0.113.2"}).status_code == 404
            # a client cannot dodge by prepending addresses: the last untrusted hop is the client
            spoof = {"X-Forwarded-For": "192.0.2.77, 203.0.113.1"}
            assert http.get(path, headers=spoof).status_code == 429
    finally:
        srv.stop()


def _flush_redis() -> None:
    import coredis

    async def flush() -> None:
        client = coredis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
        await client.flushdb()

    asyncio.run(flush())


def test_two_processes_share_one_limit_through_redis(database_url: str) -> None:
    _flush_redis()
    env = limited_env(database_url, REDIS_URL=f"redis://127.0.0.1:6379/{REDIS_DB}")
    first, second = Server(env), Server(env)
    try:
        path = "/api/public/booking/organisations/shared-count"
        codes = []
        for i in range(4):
            url = (first if i % 2 == 0 else second).url
            codes.append(httpx.get(url + path).status_code)
        assert codes == [404, 404, 404, 429]
        assert httpx.get(second.url + path).status_code == 429
    finally:
        first.stop()
        second.stop()
        _flush_redis()


def test_redis_down_fails_open_with_a_warning(database_url: str) -> None:
    srv = Server(limited_env(database_url, REDIS_URL="redis://127.0.0.1:1/0"))
    try:
        with httpx.Client(base_url=srv.url) as http:
            owner = with_organisation(http)
            codes = [
                http.get(f"/api/public/booking/organisations/{owner.slug}").status_code for _ in range(6)
            ]
            assert codes == [200] * 6
        assert "rate limiting is failing open" in srv.log()
    finally:
        srv.stop()


def test_registration_is_limited_per_client(database_url: str) -> None:
    """Defect 18: 155 argon2 hashes in 10 s from one address slowed everyone down."""
    srv = Server(limited_env(database_url, RATE_LIMIT_AUTH_REGISTER="3/minute"))
    try:
        with httpx.Client(base_url=srv.url) as http:
            codes = [
                http.post(
                    "/api/auth/register",
                    json={
                        "email": f"burst-{i}-{srv.port}@example.com",
                        "password": "a-long-password",
                        "name": "B",
                    },
                ).status_code
                for i in range(5)
            ]
        assert codes == [201, 201, 201, 429, 429]
    finally:
        srv.stop()


def test_each_credential_has_one_budget_over_the_authenticated_routes(database_url: str) -> None:
    srv = Server(
        limited_env(database_url, RATE_LIMIT_AUTHENTICATED="4/minute", RATE_LIMIT_AUTH_LOGIN="50/minute")
    )
    try:
        with httpx.Client(base_url=srv.url) as http:
            owner = with_organisation(http)  # one authenticated call: the organisation
            key = owner.ok(
                "POST",
                "/api/api-keys",
                201,
                json={"name": "k", "organisationId": owner.organisation_id, "scopes": ["catalog:read"]},
            )["key"]
            assert owner.get("/api/resource-types").status_code == 200
            assert owner.get("/api/users/me").status_code == 200
            spent = owner.get("/api/resource-types")
            assert spent.status_code == 429
            assert spent.json()["code"] == "RATE_LIMITED"
            assert int(spent.headers["retry-after"]) >= 1
            # a second access token of the same user shares the budget
            again = http.post("/api/auth/login", json={"email": owner.email, "password": PASSWORD}).json()
            fresh = {"Authorization": f"Bearer {again['accessToken']}"}
            assert http.get("/api/users/me", headers=fresh).status_code == 429
            # the user's API key, and another user, have budgets of their own
            assert http.get("/api/resource-types", headers={"X-API-Key": key}).status_code == 200
            other = with_organisation(http)
            assert other.get("/api/resource-types").status_code == 200
            # public routes keep their per-IP limits, untouched by the credential's budget
            assert http.get(f"/api/public/booking/organisations/{owner.slug}").status_code == 200
    finally:
        srv.stop()
