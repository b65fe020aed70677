"""A clinician's main flow in real headless Chromium against ``hipcare serve``.

Sign in, register a child through the form, find them, record two films and see the MP
trend chart, find the child on the site worklist, plan the operation, start the pathway (the
care plan appears), see the child on the care-team dashboard; then the site administrator
sees the registration in the audit log. Runs on the SQLite demo and once
on PostgreSQL. A screenshot of every step goes to ``out/screenshots/``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from tests.e2e.browser import Server, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SURGEON = "lee@harbour.example.org"
ADMINISTRATOR = "admin@harbour.example.org"


def _child(dialect: str) -> dict[str, str]:
    """A synthetic child, named after the database so the two runs never meet."""
    today = datetime.now(UTC).date()
    return {
        "given_name": "Aroha",
        "family_name": f"Testchild-{dialect}",
        "date_of_birth": today.replace(year=today.year - 5, day=1).isoformat(),
        "gestation_weeks": "30",
        "gmfcs": "IV",
        "site": "harbour-childrens",
        "preferred_language": "vi",
        "contact_1_name": "Mere Testparent",
        "contact_1_relationship": "mother",
        "contact_1_phone": "0400 555 010",
    }


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    return date(month_index // 12, month_index % 12 + 1, min(day.day, 28))


def _clinician_flow(page: Any, server: Server) -> None:
    prefix = f"flow-{server.dialect}"
    child = _child(server.dialect)

    sign_in(page, server, SURGEON)
    assert page.get_by_role("heading", level=1).inner_text() == "Your sites"
    screenshot(page, f"{prefix}-01-home")

    page.get_by_role("link", name="Register a child", exact=True).click()
    page.wait_for_url(server.url("/children/new"))
    page.get_by_label("Given name").fill(child["given_name"])
    page.get_by_label("Family name").fill(child["family_name"])
    page.get_by_label("Date of birth").fill(child["date_of_birth"])
    page.get_by_label("Gestation at birth, in weeks (optional)").fill(child["gestation_weeks"])
    page.get_by_label("GMFCS level").select_option(child["gmfcs"])
    page.get_by_label("Site").select_option(child["site"])
    page.get_by_label("Family's preferred language").select_option(child["preferred_language"])
    contact = page.get_by_role("group", name="Family contact 1")
    contact.get_by_label("Name").fill(child["contact_1_name"])
    contact.get_by_label("Relationship to the child").fill(child["contact_1_relationship"])
    contact.get_by_label("Phone").fill(child["contact_1_phone"])
    screenshot(page, f"{prefix}-02-register-filled")
    page.get_by_role("button", name="Register the child").click()

    page.wait_for_url(lambda url: "/children/" in url and not url.endswith("/new"))
    child_url = page.url
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == f"{child['given_name']} {child['family_name']}"
    details = page.locator("dl.details").inner_text()
    assert child["date_of_birth"] in details
    assert "30 weeks" in details
    assert "Vietnamese" in details
    assert "Mere Testparent (mother)" in page.locator("ul.contacts").inner_text()
    assert page.get_by_role("heading", name="Hip surveillance").is_visible()
    screenshot(page, f"{prefix}-03-child-registered")

    page.get_by_role("link", name="Find a child").click()
    page.get_by_label("Child's name (given or family, at least 2 letters)").fill(
        child["family_name"].lower()
    )
    page.get_by_role("button", name="Search").click()
    result = page.get_by_role("link", name=f"{child['family_name']}, {child['given_name']}")
    assert result.count() == 1
    screenshot(page, f"{prefix}-04-search")
    result.click()
    page.wait_for_url(child_url)

    today = datetime.now(UTC).date()
    films = [
        (_months_before(today, 7), {"right": "28", "left": "18"}),
        (_months_before(today, 1), {"right": "45", "left": "20"}),
    ]
    for number, (film_date, migration_percentage) in enumerate(films, start=1):
        page.get_by_role("link", name="Record a visit or film").click()
        page.wait_for_url(child_url + "/visits/new")
        page.get_by_label("Visit date (the film's date)").fill(film_date.isoformat())
        page.get_by_role("group", name="Was a film (hip X-ray) taken?").get_by_label("Yes").check()
        for side, value in migration_percentage.items():
            page.locator(f"#{side}_mp").fill(value)
        screenshot(page, f"{prefix}-{4 + number:02d}-film-{number}")
        page.get_by_role("button", name="Record the visit").click()
        page.wait_for_url(child_url + "#surveillance")

    chart = page.locator("figure.chart svg")
    assert chart.count() == 1, "the MP trend chart is on the child's page"
    assert chart.locator("circle").count() == 2, "two films: two right-hip points"
    assert "17 points" in page.locator("ul.changes").inner_text()
    assert "more than measurement error" in page.locator("ul.changes").inner_text()
    rows = page.locator("section:has(#films) tbody tr").all_inner_texts()
    assert [row.split("\t")[0] for row in rows] == [day.isoformat() for day, _ in films]
    screenshot(page, f"{prefix}-07-trend")

    page.goto(server.url("/sites/harbour-childrens/worklist"))
    row = page.locator("tr", has=page.get_by_role("link", name=heading))
    assert row.count() == 1, "the child is on the site worklist"
    screenshot(page, f"{prefix}-08-worklist")
    row.get_by_role("link", name=heading).click()
    page.wait_for_url(child_url + "#surveillance")

    page.get_by_role("link", name="Plan an operation").click()
    page.wait_for_url(child_url + "/operations/new")
    page.get_by_role("radio", name="Right hip").check()
    page.get_by_label("Implant").fill("Paediatric locking hip plate")
    page.get_by_label("Surgeon", exact=True).select_option(label="Dr Sam Lee (surgeon)")
    surgery_date = today + timedelta(days=42)
    page.get_by_label("Surgery date (optional: without it the operation is proposed)").fill(
        surgery_date.isoformat()
    )
    screenshot(page, f"{prefix}-09-operation-plan")
    page.get_by_role("button", name="Save the operation plan").click()
    page.wait_for_url(child_url + "#operation")
    operation = page.locator("article.operation")
    assert operation.count() == 1
    assert surgery_date.isoformat() in operation.inner_text()

    start = operation.locator("form", has=page.get_by_role("button", name="Start the pathway"))
    for question in ("wheelchair", "school", "therapists"):
        start.get_by_role("group", name=re.compile(question)).get_by_role(
            "radio", name="Yes"
        ).check()
    start.get_by_role("button", name="Start the pathway").click()
    page.wait_for_url(child_url + "#care-plan")
    care_plan = page.locator("table.care-plan")
    assert care_plan.count() >= 2, "the care plan has its phases"
    assert page.locator("table.care-plan tbody tr").count() >= 5
    assert page.get_by_role("button", name="Postpone and re-date the care plan").is_visible()
    screenshot(page, f"{prefix}-10-care-plan")

    page.goto(server.url("/sites/harbour-childrens/dashboard"))
    assert page.get_by_role("link", name=heading).count() >= 1, "the child is on the dashboard"
    screenshot(page, f"{prefix}-11-dashboard")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(server.url("/sign-in"))

    sign_in(page, server, ADMINISTRATOR)
    page.get_by_role("link", name="Audit log of this site").first.click()
    page.wait_for_url(server.url("/sites/harbour-childrens/audit"))
    rows = [row.split("\t")[2:] for row in page.locator("tbody tr").all_inner_texts()]
    # In words with the child's name, for the site's administrators (issue 16).
    assert ["Registered a child", f"{child['given_name']} {child['family_name']}"] in rows
    screenshot(page, f"{prefix}-12-audit")


def test_clinician_flow_on_sqlite(page: Any, sqlite_server: Server) -> None:
    """The README's server (``hipcare serve --demo``, SQLite) carries the whole flow."""
    assert sqlite_server.dialect == "sqlite"
    _clinician_flow(page, sqlite_server)


def test_clinician_flow_on_postgresql(page: Any, postgresql_server: Server) -> None:
    """The same flow on PostgreSQL (``HIPCARE_DATABASE_URL``)."""
    assert postgresql_server.dialect == "postgresql"
    _clinician_flow(page, postgresql_server)
