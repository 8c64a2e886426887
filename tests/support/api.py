"""A small HTTP client for the e2e tests: sign up a staff user, make an organisation and its catalog."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx

PASSWORD = "correct-horse-battery"
WEEK = {d: [{"start": "00:00", "end": "24:00"}] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


@dataclass
class Staff:
    """A logged-in user, optionally with an organisation, over HTTP."""

    client: httpx.Client
    email: str
    token: str
    refresh_token: str
    user_id: int
    organisation_id: int | None = None
    slug: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        headers = ({"Authorization": f"Bearer {self.token}"} if self.token else {}) | self.extra_headers
        if self.organisation_id is not None:
            headers.setdefault("X-Organisation-Id", str(self.organisation_id))
        return headers

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = self.headers | kwargs.pop("headers", {})
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, expected: int = 200, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        assert response.status_code == expected, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def resource_type(self, **fields: Any) -> dict[str, Any]:
        body = {"name": unique("type"), "slotMinutes": 60, "weeklyHours": WEEK} | fields
        return self.ok("POST", "/api/resource-types", 201, json=body)  # type: ignore[no-any-return]

    def resource(self, resource_type_id: int, capacity: int = 1, **fields: Any) -> dict[str, Any]:
        body = {"name": unique("res"), "resourceTypeId": resource_type_id, "capacity": capacity} | fields
        return self.ok("POST", "/api/resources", 201, json=body)  # type: ignore[no-any-return]


def by_api_key(client: httpx.Client, key: str) -> Staff:
    """A caller that authenticates with an API key alone."""
    return Staff(client, "", "", "", 0, extra_headers={"X-API-Key": key})


def sign_up(client: httpx.Client, name: str = "Staff") -> Staff:
    email = f"{unique('user')}@example.com"
    r = client.post("/api/auth/register", json={"email": email, "password": PASSWORD, "name": name})
    assert r.status_code == 201, r.text
    user_id = r.json()["id"]
    r = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    tokens = r.json()
    return Staff(client, email, tokens["accessToken"], tokens["refreshToken"], user_id)


def with_organisation(client: httpx.Client, **fields: Any) -> Staff:
    """A new owner with a new organisation that is their active one."""
    owner = sign_up(client, "Owner")
    slug = unique("org")
    body = {"name": "Test Org", "slug": slug, "timezone": "Europe/Berlin", "currency": "eur"} | fields
    org = owner.ok("POST", "/api/organisations", 201, json=body)
    owner.organisation_id, owner.slug = org["id"], org["slug"]
    return owner


def member(client: httpx.Client, owner: Staff, role: str) -> Staff:
    """A new user added to the owner's organisation with a role."""
    user = sign_up(client, role.title())
    owner.ok(
        "POST",
        f"/api/organisations/{owner.organisation_id}/members",
        201,
        json={"email": user.email, "role": role},
    )
    user.organisation_id, user.slug = owner.organisation_id, owner.slug
    return user


def connect_sandbox(owner: Staff) -> None:
    """Stripe Connect onboarding through the sandbox provider: the organisation can take payments."""
    started = owner.ok("POST", f"/api/organisations/{owner.organisation_id}/stripe/connect")
    url = httpx.URL(started["onboardingUrl"])
    done = owner.client.post(f"{url.path}/complete")
    assert done.status_code == 200, done.text
    assert (
        owner.ok("GET", f"/api/organisations/{owner.organisation_id}/stripe/connect")["status"] == "connected"
    )
