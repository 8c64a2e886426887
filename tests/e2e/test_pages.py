"""The web pages of API.md section 14 over plain HTTP, as a browser without JavaScript uses them: a booking
made with forms and redirects, errors beside their field, the CSP and framing rules, CSRF refused, the
widget and /schema served from the app's own files."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.api import WEEK, Staff, connect_sandbox, with_organisation

pytestmark = pytest.mark.e2e


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the form carries no CSRF token"
    return found.group(1)


def shop(client: httpx.Client, **org: Any) -> tuple[Staff, dict[str, Any]]:
    owner = with_organisation(client, **org)
    rt = owner.resource_type(name="Yoga class", weeklyHours=WEEK)
    owner.resource(rt["id"])
    return owner, rt


def slot_page(client: httpx.Client, owner: Staff, rt: dict[str, Any], days: int = 6) -> tuple[str, str]:
    day = date.today() + timedelta(days=days)
    page = client.get(f"/book/{owner.slug}", params={"type": rt["id"], "date": day.isoformat()})
    assert page.status_code == 200
    link = re.search(r'href="(/book/[^"]+start=[^"]+)"', page.text)
    assert link, "no free time is offered"
    chosen = client.get(link.group(1).replace("&amp;", "&"))
    assert chosen.status_code == 200
    return chosen.text, link.group(1).replace("&amp;", "&")


def form_fields(html: str) -> dict[str, str]:
    form = html[html.index('action="/book/') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def test_a_booking_without_javascript_forms_and_redirects(client: httpx.Client) -> None:
    owner, rt = shop(client, description="Classes by the lake", brandColor="#aa3300")
    html, _ = slot_page(client, owner, rt)
    assert "Classes by the lake" in html
    fields = form_fields(html)
    bad = client.post(
        f"/book/{owner.slug}/reserve", data=fields | {"name": "Jo", "email": "not-an-address", "phone": "1"}
    )
    assert bad.status_code == 400
    assert re.search(r'id="e-email">[^<]+<', bad.text), "the error is not shown beside the e-mail field"
    assert 'value="Jo"' in bad.text  # what was typed is kept
    done = client.post(
        f"/book/{owner.slug}/reserve",
        data=form_fields(bad.text) | {"name": "Jo", "email": "jo@example.com", "phone": "+49 1"},
    )
    assert done.status_code == 303
    manage = urlsplit(done.headers["location"])
    assert manage.path.startswith("/manage/")
    page = client.get(done.headers["location"])
    assert page.status_code == 200
    assert "You're booked" in unescape(page.text)
    reference = re.search(r'class="reference">([^<]+)<', page.text)
    assert reference
    token = manage.path.removeprefix("/manage/")
    assert client.get(f"/api/public/reservations/{token}").json()["reference"] == reference.group(1)
    assert client.get(f"/book/{owner.slug}/theme.css").text == ":root{--brand:#aa3300;--on-brand:#fff}\n"


def test_the_reserve_api_names_customer_email_when_it_is_not_an_address(client: httpx.Client) -> None:
    owner, rt = shop(client)
    start = (date.today() + timedelta(days=8)).isoformat() + "T10:00:00+00:00"
    refused = client.post(
        f"/api/public/booking/organisations/{owner.slug}/reserve",
        json={
            "resourceTypeId": rt["id"],
            "startTime": start,
            "endTime": start.replace("T10", "T11"),
            "customerName": "Jo",
            "customerEmail": "nope",
        },
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "customerEmail"  # it said "email", a field nobody sent


def test_pages_send_a_strict_policy_and_only_booking_pages_may_be_framed(client: httpx.Client) -> None:
    owner, _ = shop(client)
    page = client.get(f"/book/{owner.slug}")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'self'" in policy
    assert "x-frame-options" not in page.headers
    api = client.get(f"/api/public/booking/organisations/{owner.slug}")
    assert api.headers["x-frame-options"] == "DENY"
    schema = client.get("/schema")
    assert schema.status_code == 200
    assert "script-src 'self';" in schema.headers["content-security-policy"]
    for asset in re.findall(r'(?:src|href)="(/[^"]+)"', schema.text):
        assert client.get(asset).status_code == 200, asset  # every part of /schema from this server
    assert "//" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', schema.text))
    assert client.get("/widget.js").headers["content-type"].startswith("text/javascript")


def test_forms_refuse_a_foreign_origin_a_missing_or_borrowed_token(client: httpx.Client) -> None:
    owner, rt = shop(client)
    html, _ = slot_page(client, owner, rt, days=7)
    fields = form_fields(html) | {"name": "Jo", "email": "jo@example.com", "phone": "1"}
    target = f"/book/{owner.slug}/reserve"
    foreign = client.post(target, data=fields, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert "another site" in foreign.text
    assert client.post(target, data=fields | {"csrf": ""}).status_code == 403
    other, _ = shop(client)
    assert client.post(f"/book/{other.slug}/reserve", data=fields).status_code == 403  # made for another page
    listed = client.get("/api/reservations", headers={"Authorization": f"Bearer {owner.token}"}).json()
    assert listed["data"] == []  # nothing was booked


def test_a_paid_booking_goes_to_checkout_and_the_return_page_says_how_it_went(client: httpx.Client) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type(name="Massage", weeklyHours=WEEK, paymentRequired=True, priceAmount=5000)
    owner.resource(rt["id"])
    connect_sandbox(owner)
    html, _ = slot_page(client, owner, rt, days=9)
    done = client.post(
        f"/book/{owner.slug}/reserve",
        data=form_fields(html) | {"name": "Jo", "email": "jo@example.com", "phone": "1"},
    )
    assert done.status_code == 303
    checkout = urlsplit(done.headers["location"])
    assert checkout.path.startswith("/sandbox/checkout/")
    session = checkout.path.rsplit("/", 1)[1]
    waiting = client.get(f"/book/{owner.slug}/return", params={"session_id": session})
    assert "being processed" in waiting.text
    client.post(f"{checkout.path}/decline")
    failed = client.get(f"/book/{owner.slug}/return", params={"sessionId": session})
    assert "did not go through" in failed.text
    retried = client.post(
        f"/book/{owner.slug}/retry", data={"csrf": csrf_of(failed.text), "session": session}
    )
    assert retried.status_code == 303
    again = urlsplit(retried.headers["location"]).path
    paid = client.post(f"{again}/pay")
    assert paid.status_code == 303
    back = client.get(paid.headers["location"])
    assert "Payment received" in back.text
    assert 'href="/manage/' in back.text  # the browser that booked keeps its manage link


def test_unknown_pages_and_bad_addresses_answer_as_pages(client: httpx.Client) -> None:
    missing = client.get("/book/no-such-organisation-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert client.get("/manage/not-a-token").status_code == 404
    owner, _ = shop(client)
    bad = client.get(f"/book/{owner.slug}", params={"type": "x"})
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("text/html")
