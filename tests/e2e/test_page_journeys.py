"""The booking pages in a real browser (Chromium through Playwright) against `booking serve`: a free slot,
a paid booking through the sandbox checkout, a declined payment then a retry, a three-night stay, a
cancellation with its refund shown, a reschedule, the same booking without JavaScript, the widget on
another origin, German, and a 360 px phone. Every page is checked by axe-core and photographed."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support import databases
from tests.support.api import Staff, connect_sandbox, with_organisation
from tests.support.browser import SCREENSHOTS, browser, console_errors, shoot  # noqa: F401 - the fixture
from tests.support.servers import Server, base_env, free_port, run_cli

pytestmark = pytest.mark.e2e
DAYTIME = {d: [{"start": "09:00", "end": "18:00"}] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@dataclass
class Site:
    server: Server
    foreign: str  # another origin, where an organisation's own site embeds the widget
    studio: Staff
    yoga: dict[str, Any]
    massage: dict[str, Any]
    villa: dict[str, Any]
    seehaus: Staff


class _Host(BaseHTTPRequestHandler):
    page = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    url = databases.create_database("booking_pages")
    env = base_env(url)
    assert run_cli("migrate", env=env).returncode == 0
    port = free_port()
    foreign = f"http://127.0.0.1:{port}"
    server = Server(env | {"CORS_ORIGINS": foreign})
    host = ThreadingHTTPServer(("127.0.0.1", port), _Host)
    threading.Thread(target=host.serve_forever, daemon=True).start()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        studio = with_organisation(
            client,
            name="Lakeside Studio",
            description="Yoga, massage and a villa by the lake.",
            brandColor="#1f6f5c",
        )
        yoga = studio.resource_type(name="Yoga class", weeklyHours=DAYTIME, maxQuantity=4)
        studio.resource(yoga["id"], capacity=4)
        massage = studio.resource_type(
            name="Massage", weeklyHours=DAYTIME, paymentRequired=True, priceAmount=6000
        )
        studio.resource(massage["id"])
        villa = studio.ok(
            "POST",
            "/api/resource-types",
            201,
            json={"name": "Lake villa", "bookingUnit": "night", "priceAmount": 18000},
        )
        studio.resource(villa["id"])
        connect_sandbox(studio)
        seehaus = with_organisation(client, name="Seehaus", locale="de", description="Sauna am See.")
        sauna = seehaus.resource_type(name="Sauna", weeklyHours=DAYTIME)
        seehaus.resource(sauna["id"], capacity=2)
    _Host.page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Lakeside Studio</title></head>'
        "<body><main><h1>Lakeside Studio: our own site</h1>"
        f'<script src="{server.url}/widget.js" data-organisation="{studio.slug}" async></script>'
        "</main></body></html>"
    ).encode()
    yield Site(server, foreign, studio, yoga, massage, villa, seehaus)
    host.shutdown()
    server.stop()
    databases.drop_database(url)


@pytest.fixture
def context(site: Site, browser: Browser) -> Iterator[BrowserContext]:  # noqa: F811 - the fixture above
    # `site` first: its database set-up runs asyncio, which Playwright's running loop would refuse.
    made = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    yield made
    made.close()


def next_month() -> date:
    first = date.today().replace(day=1)
    return (first + timedelta(days=32)).replace(day=1)


def open_next_month(page: Page, label: str = "Next month") -> None:
    page.get_by_role("link", name=label).click()
    expect(page.locator(".month-title")).to_contain_text(str(next_month().year))


def pick_day(page: Page, day: int) -> None:
    page.locator("table.calendar a.day").filter(has_text=re.compile(rf"^{day}$")).click()


def fill_details(page: Page, email: str = "jo@example.com") -> None:
    page.get_by_label("Name").fill("Jo Tester")
    page.get_by_label(re.compile("^E-?[Mm]ail$")).fill(email)
    page.get_by_label(re.compile("^(Phone|Telefon)$")).fill("+49 30 1234")


def book_a_class(page: Page, site: Site, day: int, name: str | None = None, in_place: bool = False) -> None:
    """Type, next month, a day, the first time, details: the steps of a free slot booking; `in_place`:
    check that the steps loaded without a page load (JavaScript on)."""
    page.goto(f"{site.server.url}/book/{site.studio.slug}")
    if in_place:
        page.evaluate("window.stillTheFirstLoad = true")
    if name:
        shoot(page, f"{name}-types")
    page.get_by_role("link", name=re.compile("Yoga class")).click()
    expect(page.get_by_role("heading", name="Choose a day")).to_be_visible()
    open_next_month(page)
    pick_day(page, day)
    expect(page.get_by_role("heading", name=re.compile("Choose a time"))).to_be_visible()
    if name:
        shoot(page, f"{name}-times")
    page.locator("a.slot").first.click()
    expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    fill_details(page)
    if name:
        shoot(page, f"{name}-details")
    if in_place:
        assert page.evaluate("window.stillTheFirstLoad") is True, "a step reloaded the page"
    page.get_by_role("button", name="Book").click()


def test_a_free_class_is_booked_step_by_step_without_reloading(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    errors = console_errors(page)
    book_a_class(page, site, 3, name="booking", in_place=True)
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"[A-Z0-9-]{6,}", reference)
    assert page.get_by_role("link", name="Add to calendar").get_attribute("href", timeout=1000)
    shoot(page, "confirmation")
    assert errors == [], errors  # no script error, nothing the CSP refused


def test_a_paid_massage_through_the_sandbox_checkout_then_cancelled_with_its_refund(
    context: BrowserContext, site: Site
) -> None:
    page = context.new_page()
    page.goto(f"{site.server.url}/book/{site.studio.slug}")
    page.get_by_role("link", name=re.compile("Massage")).click()
    open_next_month(page)
    pick_day(page, 10)
    page.locator("a.slot").first.click()
    expect(page.locator("table.quote")).to_contain_text("€60.00")
    fill_details(page)
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", name="Sandbox checkout")).to_be_visible()
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_role("heading", name="Payment received: you're booked")).to_be_visible()
    shoot(page, "return-paid")
    page.get_by_role("link", name="Manage your booking").click()
    expect(page.locator(".status")).to_have_text("confirmed")
    shoot(page, "manage")
    page.get_by_role("link", name="Cancel the booking").click()
    expect(page.get_by_role("heading", name="Cancel this booking?")).to_be_visible()
    expect(page.locator(".refund-now")).to_contain_text("€60.00")
    shoot(page, "cancel-confirm")
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.get_by_role("heading", name="Your booking is cancelled")).to_be_visible()
    expect(page.locator(".refunded")).to_contain_text("€60.00")
    shoot(page, "cancelled")


def test_a_declined_payment_then_a_retry_that_pays(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    page.goto(f"{site.server.url}/book/{site.studio.slug}?type={site.massage['id']}")
    open_next_month(page)
    pick_day(page, 11)
    page.locator("a.slot").first.click()
    fill_details(page)
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Decline").click()
    page.get_by_role("link", name="Back to the shop").click()
    expect(page.get_by_role("heading", name="The payment did not go through")).to_be_visible()
    shoot(page, "return-failed")
    page.get_by_role("button", name="Try the payment again").click()
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_role("heading", name="Payment received: you're booked")).to_be_visible()


def test_a_three_night_stay_from_check_in_to_check_out(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    page.goto(f"{site.server.url}/book/{site.studio.slug}")
    page.get_by_role("link", name=re.compile("Lake villa")).click()
    expect(page.get_by_role("heading", name="Choose your check-in day")).to_be_visible()
    open_next_month(page)
    pick_day(page, 12)
    expect(page.get_by_role("heading", name="Now choose your check-out day")).to_be_visible()
    pick_day(page, 15)
    expect(page.locator("dl.summary")).to_contain_text("3 nights")
    expect(page.locator("table.quote")).to_contain_text("€540.00")
    assert page.locator("a.day.within").count() == 2  # the nights between are marked
    shoot(page, "stay")
    fill_details(page)
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
    expect(page.locator(".when")).to_contain_text("3 nights")


def test_a_booking_is_moved_from_the_manage_page(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    book_a_class(page, site, 5)
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
    before = page.locator(".when").inner_text()
    page.get_by_role("link", name="Change the date or time").click()
    expect(page.get_by_role("heading", name="Choose a new time")).to_be_visible()
    open_next_month(page)
    pick_day(page, 6)
    shoot(page, "reschedule")
    page.locator("button.slot").nth(2).click()
    expect(page.get_by_text("Your booking was moved.")).to_be_visible()
    after = page.locator(".when").inner_text()
    assert after != before
    assert str(6) in after


def test_the_same_booking_without_javascript(site: Site, browser: Browser) -> None:  # noqa: F811
    plain = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 800})
    try:
        page = plain.new_page()
        book_a_class(page, site, 7)
        expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
        page.get_by_role("link", name="Cancel the booking").click()
        page.get_by_role("button", name="Yes, cancel it").click()
        expect(page.get_by_role("heading", name="Your booking is cancelled")).to_be_visible()
    finally:
        plain.close()


def test_the_widget_on_another_origin_books_inside_a_frame_that_fits_its_content(
    context: BrowserContext, site: Site
) -> None:
    page = context.new_page()
    errors = console_errors(page)
    page.goto(site.foreign)
    frame = page.frame_locator("iframe")
    frame.get_by_role("link", name=re.compile("Yoga class")).click()
    frame.get_by_role("link", name="Next month").click()
    frame.locator("table.calendar a.day").filter(has_text=re.compile(r"^8$")).click()
    frame.locator("a.slot").first.click()
    expect(frame.get_by_role("heading", name="Your details")).to_be_visible()
    iframe = page.locator("iframe")
    expect(iframe).not_to_have_attribute("style", re.compile(r"height: 640px"))
    height = iframe.evaluate("f => f.getBoundingClientRect().height")
    content = frame.locator("html").evaluate("h => h.getBoundingClientRect().height")
    assert abs(height - content) <= 2, (height, content)  # sized to its content, no inner scroll bar
    page.screenshot(path=str(SCREENSHOTS / "widget-1280.png"), full_page=True)
    frame.get_by_label("Name").fill("Jo Tester")
    frame.get_by_label("E-mail").fill("jo@example.com")
    frame.get_by_label("Phone").fill("1")
    frame.get_by_role("button", name="Book").click()
    expect(frame.get_by_role("heading", name="You're booked")).to_be_visible()
    assert page.url.startswith(site.foreign)  # the customer never left the organisation's site
    assert errors == [], errors


def test_german_on_a_360_px_phone(site: Site, browser: Browser) -> None:  # noqa: F811
    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    try:
        page = phone.new_page()
        page.goto(f"{site.server.url}/book/{site.seehaus.slug}")
        expect(page.get_by_role("heading", name="Was möchten Sie buchen?")).to_be_visible()
        page.get_by_role("link", name=re.compile("Sauna")).click()
        expect(page.get_by_role("heading", name="Wählen Sie einen Tag")).to_be_visible()
        open_next_month(page, "Nächster Monat")
        pick_day(page, 9)
        expect(page.get_by_role("heading", name=re.compile("Wählen Sie eine Uhrzeit"))).to_be_visible()
        expect(page.locator("a.slot").first).to_have_text("09:00")  # 24-hour times, in Berlin's zone
        page.locator("a.slot").first.click()
        fill_details(page)
        shoot(page, "german-details")
        page.get_by_role("button", name="Buchen").click()
        expect(page.get_by_role("heading", name="Ihre Buchung steht")).to_be_visible()
        expect(page.locator(".when")).to_contain_text("09:00")
        shoot(page, "german-confirmation")
    finally:
        phone.close()


def test_keyboard_alone_reaches_and_books_a_time(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    page.goto(f"{site.server.url}/book/{site.studio.slug}?type={site.yoga['id']}")
    page.get_by_role("link", name="Next month").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".month-title")).to_contain_text(str(next_month().year))
    page.locator("table.calendar a.day").filter(has_text=re.compile(r"^14$")).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Choose a time"))).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your details")).to_be_focused()
    page.get_by_label("Name").focus()
    page.keyboard.type("Jo Keys")
    page.keyboard.press("Tab")
    page.keyboard.type("keys@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("1")
    page.get_by_role("button", name="Book").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()


def test_the_schema_page_renders_the_whole_document_offline(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(site.server.url) else None)
    page.goto(f"{site.server.url}/schema")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Booking platform API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() > 50
    page.screenshot(path=str(SCREENSHOTS / "schema-1280.png"))
    assert outside == []
