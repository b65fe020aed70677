"""The family side end to end in headless Chromium at a phone's size (390 x 844), on the SQLite
demo served by ``hipcare serve --demo``: a nurse invites a parent from the child's page; the
parent accepts the invitation, signs out and in again, ticks a step, logs a pain score that
raises an alert (and is told whom to call), switches the pages to Arabic and sees them right to
left; the nurse sees the alert on the dashboard and acknowledges it. Screenshots at every step
(``out/screenshots/family-*.png``) and axe-core on each family page in English and Arabic."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.e2e.browser import Server, axe_violations, describe, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NURSE = "nurse@harbour.example.org"
PARENT = "jing.wang@example.org"
PARENT_PASSWORD = "our family password"  # noqa: S105 -- a synthetic test password
PHONE = {"width": 390, "height": 844}


def _audit(page: Any, name: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"{name} ({page.url}):\n{describe(violations)}"


def _phone(browser: Any) -> Any:
    context = browser.new_context(
        bypass_csp=True,  # only so axe-core can be injected
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-AU",
        timezone_id="UTC",
    )
    context.set_default_timeout(15_000)
    return context


def _no_sideways_scroll(page: Any) -> None:
    page.wait_for_load_state("load")  # a click's navigation must have finished first
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide at a phone's width"


def test_family_flow_from_invitation_to_alert_in_arabic(
    page: Any, browser: Any, sqlite_server: Server
) -> None:
    server = sqlite_server
    # 1. The nurse invites Lucas's father from Lucas's page (surgery planned in 24 days).
    sign_in(page, server, NURSE)
    page.goto(server.url("/children?name=Lucas"))
    page.locator("ul.results a").first.click()
    child_id = int(page.url.rsplit("/", 1)[1])
    page.get_by_label("Their email").fill(PARENT)
    page.get_by_role("button", name="Make an invitation link").click()
    link = page.get_by_label("Invitation link").input_value()
    assert re.fullmatch(rf"{re.escape(server.base_url)}/invite/[A-Za-z0-9_-]{{43}}", link)
    screenshot(page, "family-01-nurse-invitation-link")

    family_context = _phone(browser)
    family = family_context.new_page()
    try:
        # 2. The father opens the link on his phone and sets up his account.
        # The invitation opens in the child's language (issue 17); he reads it in English.
        family.goto(f"{link}?lang=en")
        screenshot(family, "family-02-invitation")
        _audit(family, "invitation")
        family.get_by_label("Your name").fill("Jing Wang")
        family.get_by_label("Password (at least 10 characters)").fill(PARENT_PASSWORD)
        family.get_by_role("button", name="Create my account").click()
        family.wait_for_url(server.url(f"/family/children/{child_id}"))
        # He set up his account reading English, so his pages are in English (issue 17: the
        # member's own choice, not the child's language).
        assert family.locator("html").get_attribute("lang") == "en"
        screenshot(family, "family-03-today-zh-Hans")
        family.get_by_role("link", name="English").click()
        assert family.locator("html").get_attribute("lang") == "en"

        # 3. He signs out and signs in again, as he will on another day.
        family.get_by_role("button", name="Sign out").click()
        family.wait_for_url(server.url("/sign-in"))
        family.get_by_label("Email").fill(PARENT)
        family.get_by_label("Password").fill(PARENT_PASSWORD)
        family.get_by_role("button", name="Sign in").click()
        family.wait_for_url(server.url(f"/family/children/{child_id}"))
        assert family.get_by_role("heading", name="Today for Lucas").is_visible()
        _no_sideways_scroll(family)
        screenshot(family, "family-04-today-en")
        _audit(family, "today-en")

        # 4. He ticks the first step of the whole plan still to do; it shows as done.
        family.get_by_role("link", name="The whole plan").click()
        family.wait_for_url(server.url(f"/family/children/{child_id}/plan"))
        _no_sideways_scroll(family)
        _audit(family, "plan-en")
        tick = family.get_by_role("button", name=re.compile("^Mark as done")).first
        item = tick.locator("xpath=ancestor::li[contains(@class,'item')]")
        item_id = item.get_attribute("id")
        assert item_id
        tick.click()
        assert "is-done" in (family.locator(f"#{item_id}").get_attribute("class") or "")
        family.locator(f"#{item_id}").scroll_into_view_if_needed()
        screenshot(family, "family-05-ticked")

        # 5. He logs a pain score (r-FLACC total 9): the team is told, he is told whom to call.
        family.get_by_role("link", name="Diary").click()
        family.wait_for_url(server.url(f"/family/children/{child_id}/diary"))
        _no_sideways_scroll(family)
        _audit(family, "diary-en")
        for category, score in (
            ("face", "2"),
            ("legs", "2"),
            ("activity", "2"),
            ("cry", "2"),
            ("consolability", "1"),
        ):
            # Each score is a radio with the tool's own description in our words (issue 17).
            family.locator(f"#rflacc-{category}-{score}").check()
        family.locator("form:has(#rflacc-face-0)").get_by_role("button", name="Save").click()
        outcome = family.get_by_role("status")
        assert "We have told the care team." in outcome.inner_text()
        assert outcome.get_by_role("link", name="02 5550 1234").is_visible()
        _no_sideways_scroll(family)
        screenshot(family, "family-06-pain-alert")
        _audit(family, "diary-alert-en")

        # 6. He switches to Arabic: every family page reads right to left.
        family.get_by_role("link", name="العربية").click()
        family.wait_for_url(server.url(f"/family/children/{child_id}/diary"))
        assert family.locator("html").get_attribute("dir") == "rtl"
        assert family.locator("html").get_attribute("lang") == "ar"
        _no_sideways_scroll(family)
        screenshot(family, "family-07-diary-ar")
        _audit(family, "diary-ar")
        for path, name in (
            (f"/family/children/{child_id}", "today-ar"),
            (f"/family/children/{child_id}/plan", "plan-ar"),
        ):
            family.goto(server.url(path))
            assert family.locator("html").get_attribute("dir") == "rtl"
            _no_sideways_scroll(family)
            screenshot(family, f"family-08-{name}")
            _audit(family, name)
    finally:
        family_context.close()

    # 7. The nurse sees the alert on the dashboard and acknowledges it.
    page.goto(server.url("/sites/harbour-childrens/dashboard"))
    alert = page.locator("li.alert-open", has_text="Pain (r-FLACC) 9 of 10").filter(
        has_text="Lucas"
    )
    assert alert.count() == 1
    screenshot(page, "family-09-dashboard-alert")
    alert.get_by_role("button", name=re.compile("^Acknowledge")).click()
    page.goto(server.url("/sites/harbour-childrens/dashboard"))
    assert page.locator("li.alert-open", has_text="Pain (r-FLACC) 9 of 10").count() == 0
    screenshot(page, "family-10-acknowledged")


def test_invitation_and_sign_in_pages_in_arabic_have_no_serious_violation(
    browser: Any, sqlite_server: Server
) -> None:
    context = _phone(browser)
    page = context.new_page()
    try:
        page.goto(sqlite_server.url("/invite/not-a-real-token?lang=ar"))
        assert page.locator("html").get_attribute("dir") == "rtl"
        screenshot(page, "family-11-invitation-invalid-ar")
        _audit(page, "invitation-invalid-ar")
    finally:
        context.close()
