"""API keys (shown once, hashed, scoped, never above their creator) and the role ladder."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.api import Staff, member, unique, with_organisation

pytestmark = pytest.mark.e2e

ALL = ["reservations:read", "reservations:write", "catalog:read", "catalog:write"]


def new_key(owner: Staff, scopes: list[str] = ALL, **extra: object) -> dict[str, object]:
    body = {"name": unique("key"), "organisationId": owner.organisation_id, "scopes": scopes} | extra
    return owner.ok("POST", "/api/api-keys", 201, json=body)  # type: ignore[no-any-return]


def as_key(client: httpx.Client, key: str, style: str = "x-api-key") -> dict[str, str]:
    return {"X-API-Key": key} if style == "x-api-key" else {"Authorization": f"ApiKey {key}"}


def test_a_key_is_shown_once_and_listed_by_prefix(client: httpx.Client) -> None:
    owner = with_organisation(client)
    created = new_key(owner)
    key = str(created["key"])
    assert key.startswith(f"bk_{created['prefix']}_")
    listed = owner.ok("GET", "/api/api-keys")
    assert [k["prefix"] for k in listed["data"]] == [created["prefix"]]
    assert "key" not in listed["data"][0]
    assert key not in httpx.get(f"{client.base_url}/api/api-keys", headers=owner.headers).text
    for style in ("x-api-key", "authorization"):
        r = client.get("/api/resource-types", headers=as_key(client, key, style))
        assert r.status_code == 200, r.text
    assert owner.ok("GET", "/api/api-keys")["data"][0]["lastUsedAt"] is not None


def test_scopes_limit_what_a_key_reaches(client: httpx.Client) -> None:
    owner = with_organisation(client)
    reader = as_key(client, str(new_key(owner, ["catalog:read"])["key"]))
    assert client.get("/api/resource-types", headers=reader).status_code == 200
    body = {"name": "x", "slotMinutes": 30, "weeklyHours": {}}
    r = client.post("/api/resource-types", json=body, headers=reader)
    assert r.status_code == 403
    assert r.json()["code"] == "FORBIDDEN"
    assert client.get("/api/reservations", headers=reader).status_code == 403
    # members, settings, API keys: 403 to any key, before any lookup (even of a missing organisation)
    for method, path in [
        ("GET", f"/api/organisations/{owner.organisation_id}"),
        ("GET", f"/api/organisations/{owner.organisation_id}/members"),
        ("GET", "/api/organisations/999999999"),
        ("GET", "/api/api-keys"),
        ("GET", "/api/users/me"),
    ]:
        assert client.request(method, path, headers=reader).status_code == 403, path


def test_a_key_never_exceeds_its_creator(client: httpx.Client) -> None:
    owner = with_organisation(client)
    admin = member(client, owner, "admin")
    staff = member(client, owner, "staff")
    # staff cannot manage keys at all
    r = staff.post(
        "/api/api-keys",
        json={"name": "k", "organisationId": owner.organisation_id, "scopes": ["catalog:read"]},
    )
    assert r.status_code == 403
    key = as_key(client, str(new_key(admin, ["catalog:write", "catalog:read"])["key"]))
    body = {"name": unique("t"), "slotMinutes": 30, "weeklyHours": {}}
    assert client.post("/api/resource-types", json=body, headers=key).status_code == 201
    # the creator is demoted to staff: the key's catalog:write stops working, reading still works
    owner.ok(
        "PATCH", f"/api/organisations/{owner.organisation_id}/members/{admin.user_id}", json={"role": "staff"}
    )
    assert (
        client.post("/api/resource-types", json=body | {"name": unique("t")}, headers=key).status_code == 403
    )
    assert client.get("/api/resource-types", headers=key).status_code == 200
    # the creator leaves: the key stops working altogether
    owner.ok("DELETE", f"/api/organisations/{owner.organisation_id}/members/{admin.user_id}", 204)
    assert client.get("/api/resource-types", headers=key).status_code == 401


def test_a_member_removed_and_added_back_does_not_revive_their_keys(client: httpx.Client) -> None:
    """Defect 20: removal left the keys unrevoked, so adding the member back brought them to life."""
    owner = with_organisation(client)
    admin = member(client, owner, "admin")
    made = new_key(admin, ["catalog:read"])
    key = as_key(client, str(made["key"]))
    assert client.get("/api/resource-types", headers=key).status_code == 200
    owner.ok("DELETE", f"/api/organisations/{owner.organisation_id}/members/{admin.user_id}", 204)
    owner.ok(
        "POST",
        f"/api/organisations/{owner.organisation_id}/members",
        201,
        json={"email": admin.email, "role": "admin"},
    )
    assert client.get("/api/resource-types", headers=key).status_code == 401
    assert made["id"] not in [k["id"] for k in owner.ok("GET", "/api/api-keys")["data"]]  # revoked
    fresh = as_key(client, str(new_key(admin, ["catalog:read"])["key"]))  # a new key works as usual
    assert client.get("/api/resource-types", headers=fresh).status_code == 200


def test_revoked_expired_and_foreign_organisation_keys(client: httpx.Client) -> None:
    owner = with_organisation(client)
    created = new_key(owner)
    key = as_key(client, str(created["key"]))
    other = with_organisation(client)
    r = client.get("/api/resource-types", headers=key | {"X-Organisation-Id": str(other.organisation_id)})
    assert r.status_code == 404
    owner.ok("DELETE", f"/api/api-keys/{created['id']}", 204)
    assert client.get("/api/resource-types", headers=key).status_code == 401
    assert owner.delete(f"/api/api-keys/{created['id']}").status_code == 404
    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    short = as_key(client, str(new_key(owner, expiresAt=soon)["key"]))
    assert client.get("/api/resource-types", headers=short).status_code == 200
    time.sleep(2.5)
    assert client.get("/api/resource-types", headers=short).status_code == 401
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    r = owner.post(
        "/api/api-keys",
        json={"name": "k", "organisationId": owner.organisation_id, "scopes": ALL, "expiresAt": past},
    )
    assert r.status_code == 400
    assert client.get("/api/resource-types", headers={"X-API-Key": "bk_deadbeef_nope"}).status_code == 401


def test_roles_owner_admin_staff_viewer(client: httpx.Client) -> None:
    owner = with_organisation(client)
    admin, staff, viewer = (member(client, owner, r) for r in ("admin", "staff", "viewer"))
    rt = admin.resource_type()
    res = admin.resource(rt["id"])
    slot = {"resourceId": res["id"], "startTime": "2031-01-06T10:00:00Z", "endTime": "2031-01-06T11:00:00Z"}
    # viewers read, nothing else
    assert viewer.get("/api/resource-types").status_code == 200
    assert viewer.get("/api/reservations").status_code == 200
    assert viewer.post("/api/reservations", json=slot).status_code == 403
    # staff manage reservations, not the catalog, members or keys
    assert staff.post("/api/reservations", json=slot).status_code == 201
    assert (
        staff.post(
            "/api/resource-types", json={"name": "x", "slotMinutes": 30, "weeklyHours": {}}
        ).status_code
        == 403
    )
    assert staff.patch(f"/api/organisations/{owner.organisation_id}", json={"taxBps": 5}).status_code == 403
    assert (
        staff.post(
            f"/api/organisations/{owner.organisation_id}/members",
            json={"email": viewer.email, "role": "staff"},
        ).status_code
        == 403
    )
    # admins manage settings and members, but cannot make or change owners
    assert admin.patch(f"/api/organisations/{owner.organisation_id}", json={"taxBps": 5}).status_code == 200
    r = admin.patch(
        f"/api/organisations/{owner.organisation_id}/members/{viewer.user_id}", json={"role": "owner"}
    )
    assert r.status_code == 403
    r = admin.patch(
        f"/api/organisations/{owner.organisation_id}/members/{owner.user_id}", json={"role": "staff"}
    )
    assert r.status_code == 403
    # the last owner cannot be demoted or removed
    r = owner.patch(
        f"/api/organisations/{owner.organisation_id}/members/{owner.user_id}", json={"role": "admin"}
    )
    assert r.status_code == 409
    assert (
        owner.delete(f"/api/organisations/{owner.organisation_id}/members/{owner.user_id}").status_code == 409
    )
    owner.ok(
        "PATCH", f"/api/organisations/{owner.organisation_id}/members/{admin.user_id}", json={"role": "owner"}
    )
    owner.ok(
        "PATCH", f"/api/organisations/{owner.organisation_id}/members/{owner.user_id}", json={"role": "admin"}
    )
    members = owner.ok("GET", f"/api/organisations/{owner.organisation_id}/members")
    assert {m["role"] for m in members["data"]} == {"owner", "admin", "staff", "viewer"}
    assert members["pagination"]["total"] == 4
