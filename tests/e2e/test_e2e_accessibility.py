"""axe-core (pinned in tests/e2e/package-lock.json) finds no serious or critical violation on
the main pages of the demo, in headless Chromium. Each audited page is also screenshotted."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.e2e.browser import Server, axe_violations, describe, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SURGEON = "lee@harbour.example.org"
ADMINISTRATOR = "admin@harbour.example.org"


def _audit(page: Any, name: str) -> None:
    screenshot(page, f"axe-{name}")
    violations = axe_violations(page)
    assert not violations, f"{name} ({page.url}):\n{describe(violations)}"


def test_sign_in_page_has_no_serious_accessibility_violation(
    page: Any, sqlite_server: Server
) -> None:
    page.goto(sqlite_server.url("/sign-in"))
    _audit(page, "sign-in")


def test_sign_in_error_has_no_serious_accessibility_violation(
    page: Any, sqlite_server: Server
) -> None:
    """The sign-in page after a wrong password (its error summary is audited too)."""
    page.goto(sqlite_server.url("/sign-in"))
    page.get_by_label("Email").fill(SURGEON)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").is_visible()
    _audit(page, "sign-in-error")


def test_clinician_pages_have_no_serious_accessibility_violation(
    page: Any, sqlite_server: Server
) -> None:
    """Home, the child search (with results), registration (empty and with a mistake),
    demo children's pages (films, MP trend chart, care plan), the visit form (empty and
    with a mistake), the operation form, the site worklist and the care-team dashboard."""
    sign_in(page, sqlite_server, SURGEON)
    _audit(page, "home")

    page.goto(sqlite_server.url("/children?name=a"))
    _audit(page, "children-search-too-short")
    page.goto(sqlite_server.url("/children?name=an"))
    results = page.locator("ul.results a")
    assert results.count() > 0, "the demo has children whose names contain 'an'"
    _audit(page, "children-search")

    page.goto(sqlite_server.url("/children/new"))
    _audit(page, "register")
    page.get_by_label("Given name").fill("Test")
    page.get_by_label("Family name").fill("Mistake")
    page.get_by_label("Date of birth").fill("2020-01-01")
    page.get_by_label("Gestation at birth, in weeks (optional)").fill("many")
    page.get_by_role("button", name="Register the child").click()
    assert page.locator(".error-summary").is_visible()
    _audit(page, "register-with-mistake")

    children = _demo_children_with_films(page, sqlite_server)
    for child_id in children:
        page.goto(sqlite_server.url(f"/children/{child_id}"))
        _audit(page, f"child-{child_id}")
    page.goto(sqlite_server.url(f"/children/{children[0]}/visits/new"))
    _audit(page, "visit-form")
    page.get_by_label("Visit date (the film's date)").fill("2024-01-15")
    page.get_by_role("group", name="Was a film (hip X-ray) taken?").get_by_label("Yes").check()
    page.locator("#right_mp").fill("about half")
    page.get_by_role("button", name="Record the visit").click()
    assert page.locator(".error-summary").is_visible()
    _audit(page, "visit-form-with-mistake")
    page.goto(sqlite_server.url(f"/children/{children[0]}/operations/new"))
    _audit(page, "operation-form")

    page.goto(sqlite_server.url("/sites/harbour-childrens/worklist"))
    assert page.locator("table.worklist tbody tr").count() > 0
    _audit(page, "worklist")
    page.goto(sqlite_server.url("/sites/harbour-childrens/dashboard"))
    assert page.get_by_role("heading", name="Children by phase").is_visible()
    _audit(page, "dashboard")


def test_administrator_pages_have_no_serious_accessibility_violation(
    page: Any, sqlite_server: Server
) -> None:
    sign_in(page, sqlite_server, ADMINISTRATOR)
    _audit(page, "home-administrator")
    page.goto(sqlite_server.url("/sites/harbour-childrens/audit"))
    assert page.locator("tbody tr").count() > 0
    _audit(page, "audit-log")
    page.goto(sqlite_server.url("/sites/harbour-childrens/alert-routes"))
    assert page.get_by_role("button", name="Save the alert routes").is_visible()
    _audit(page, "alert-routes")
    page.get_by_label("1. In working hours").fill("day@harbour")  # passes the browser's check
    page.get_by_role("button", name="Save the alert routes").click()
    assert page.get_by_role("alert").is_visible()
    _audit(page, "alert-routes-with-mistake")


def test_error_page_has_no_serious_accessibility_violation(
    page: Any, sqlite_server: Server
) -> None:
    sign_in(page, sqlite_server, SURGEON)
    response = page.goto(sqlite_server.url("/children/999999"))
    assert response is not None
    assert response.status == 404
    _audit(page, "not-found")


def _demo_children_with_films(page: Any, server: Server) -> list[str]:
    """Two demo children: the first found with visits and one with a care plan, if any."""
    ids: list[str] = []
    for name in ("an", "ia", "la", "ra"):
        page.goto(server.url(f"/children?name={name}"))
        for href in page.locator("ul.results a").evaluate_all("els => els.map(e => e.href)"):
            found = re.search(r"/children/(\d+)$", href)
            if found and found.group(1) not in ids:
                ids.append(found.group(1))
    chosen: list[str] = []
    with_films = with_plan = False
    for child_id in ids:
        page.goto(server.url(f"/children/{child_id}"))
        has_films = page.locator("#films ~ div table, section:has(#films) table").count() > 0
        has_plan = "starts when an operation" not in page.locator("main").inner_text()
        if (has_films and not with_films) or (has_plan and not with_plan):
            chosen.append(child_id)
            with_films = with_films or has_films
            with_plan = with_plan or has_plan
        if with_films and with_plan:
            break
    assert with_films, "the demo has a child with films"
    return chosen


def test_audit_reports_a_serious_violation_when_a_form_field_has_no_label(
    page: Any, sqlite_server: Server
) -> None:
    """The audit can fail: an unlabelled input added to the sign-in page is reported."""
    page.goto(sqlite_server.url("/sign-in"))
    page.evaluate(
        "() => document.querySelector('form').append(Object.assign("
        "document.createElement('input'), {type: 'text', name: 'unlabelled'}))"
    )
    violations = axe_violations(page)
    assert "label" in {violation["id"] for violation in violations}, describe(violations)
