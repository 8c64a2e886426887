"""A real Chromium for the page journeys, driven by Playwright: Debian's `chromium` (or Playwright's own
download, or BROWSER_EXECUTABLE), never a silent skip when none is there. Every page a journey visits is
checked with axe-core (no serious or critical violation) and photographed at 360 and 1280 px."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Error, Page, sync_playwright

from tests.support.servers import ROOT

SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR", ROOT / "artifacts" / "screenshots"))
# As this machine's own probe starts it: no sandbox (root), and none of Chromium's calls home.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOW_TO_INSTALL = (
    "no Chromium for the browser journeys: run `make browser` (installs Debian's chromium), or "
    "`.venv/bin/playwright install chromium`, or set BROWSER_EXECUTABLE to a Chromium binary"
)
WIDTHS = (360, 1280)
SERIOUS = ("serious", "critical")


def chromium() -> str | None:
    """A Chromium binary: BROWSER_EXECUTABLE, the system's, or None for Playwright's own download."""
    named = os.environ.get("BROWSER_EXECUTABLE")
    if named:
        return named
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=chromium(), args=ARGS)
        except Error as exc:
            pytest.fail(f"{HOW_TO_INSTALL} ({str(exc).splitlines()[0]})")
        yield launched
        launched.close()


_axe = Axe()


def accessible(page: Page) -> None:
    """axe-core on the page as it is now: no serious or critical violation."""
    found = _axe.run(page)
    bad = [v for v in found.response["violations"] if v.get("impact") in SERIOUS]
    report = "; ".join(f"{v['id']} ({v['impact']}): {v['nodes'][0]['html'][:120]}" for v in bad)
    assert not bad, f"accessibility violations on {page.url}: {report}"


def shoot(page: Page, name: str) -> list[Path]:
    """The page at both widths (full height), then back to the width it had; axe-checked at each."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size or {"width": 1280, "height": 800}
    taken = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at {width} px"
        accessible(page)
        path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
    page.set_viewport_size(before)
    return taken


def console_errors(page: Page) -> list[str]:
    """Every console error and refused resource (a CSP violation included) the page has seen."""
    seen: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error":
            seen.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: seen.append(str(exc)))
    return seen
