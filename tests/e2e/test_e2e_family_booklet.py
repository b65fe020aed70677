"""The family booklet as a web page, in headless Chromium at a phone's size (390 x 844) with
the app's own Content-Security-Policy enforced (not bypassed): a demo family account signs
in with the demo password, opens the booklet, which is styled (its stylesheet is a file of
the site, not an inline style the policy blocks), fits the screen and has a way back to
Today. Screenshots: ``out/screenshots/booklet-*.png``."""

from __future__ import annotations

from typing import Any

import pytest
from tests.e2e.browser import Server, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PARENT = "jing.wang@family.example.org"  # a demo family account (content/demo/children.toml)
PHONE = {"width": 390, "height": 844}


def test_the_booklet_is_styled_under_the_csp_on_a_phone_with_a_way_back(
    browser: Any, sqlite_server: Server
) -> None:
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-AU",
        timezone_id="UTC",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        page.goto(sqlite_server.url("/sign-in"))
        page.get_by_label("Email").fill(PARENT)
        page.get_by_label("Password").fill(sqlite_server.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/family/children/*")
        today_url = page.url
        page.goto(today_url + "/booklet?lang=en")
        page.wait_for_load_state("load")
        screenshot(page, "booklet-01-phone-en")
        assert refused == [], refused
        sheets = page.evaluate("() => document.styleSheets.length")
        assert sheets == 1
        heading_colour = page.evaluate("() => getComputedStyle(document.querySelector('h1')).color")
        assert heading_colour == "rgb(27, 94, 140)", "the site's accent: the stylesheet applied"
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the booklet is {width} px wide on a phone"
        cell = page.locator(".phase td").first
        assert cell.evaluate("(el) => getComputedStyle(el).display") == "block"
        page.get_by_role("link", name="Back to today").click()
        page.wait_for_url(today_url)
    finally:
        context.close()
