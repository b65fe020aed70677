"""The child page's first screen and the planner inside the operation form (issue 16), in
headless Chromium against ``hipcare serve --demo``.

The summary (name, age, hospital number, GMFCS, status and next review, open alerts, latest
MP per hip, referral, operation) lies within the first screen at 1280 x 800 and at 390 x 844;
the planner answers inside the form without a reload and nothing typed is lost; axe-core finds
no serious violation on either page. Screenshots go to ``out/screenshots/child-summary-*.png``
and ``planner-*.png``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.e2e.browser import Server, axe_violations, describe, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SURGEON = "lee@harbour.example.org"


def _demo_child_with_visits(page: Any, server: Server) -> int:
    page.goto(server.url("/sites/harbour-childrens/worklist"))
    found = re.search(r'href="/children/(\d+)#', page.content())
    assert found, "the demo worklist lists a child"
    return int(found.group(1))


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_the_child_page_opens_on_a_summary_that_fits_the_first_screen(
    page: Any, sqlite_server: Server, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, sqlite_server, SURGEON)
    child_id = _demo_child_with_visits(page, sqlite_server)
    page.goto(sqlite_server.url(f"/children/{child_id}"))
    summary = page.locator("#summary")
    box = summary.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= height, box
    terms = summary.locator("dt").all_inner_texts()
    assert terms == [
        "Age",
        "Hospital number",
        "GMFCS level",
        "Hip surveillance",
        "Latest migration percentage",
        "Open alerts",
        "Referral",
        "Operation",
    ]
    assert re.search(r"\d+ years? \d+ months?", summary.inner_text())
    screenshot(page, f"child-summary-{width}x{height}-full")
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_the_planner_answers_inside_the_operation_form_and_nothing_typed_is_lost(
    page: Any, sqlite_server: Server
) -> None:
    sign_in(page, sqlite_server, SURGEON)
    child_id = _demo_child_with_visits(page, sqlite_server)
    page.goto(sqlite_server.url(f"/children/{child_id}/operations/new"))
    page.get_by_label("Implant").fill("Typed before planning, 3.5 mm plate")
    page.get_by_role("radio", name="Left hip").check()
    page.evaluate("() => { window.notReloaded = true; }")
    page.locator("#planner summary").click()
    page.get_by_label("Neck-shaft angle before surgery (°)").fill("155")
    page.get_by_label("Target neck-shaft angle (°)").fill("115")
    page.get_by_label("Blade-plate angle (°)").fill("100")
    page.get_by_role("button", name="Run the planner").click()
    page.wait_for_selector("#planner-result")
    output = page.locator("#planner-output").inner_text()
    assert "40° varus" in output
    assert "140°" in output
    assert page.evaluate("() => window.notReloaded === true")
    assert page.get_by_label("Implant").input_value() == "Typed before planning, 3.5 mm plate"
    assert page.get_by_role("radio", name="Left hip").is_checked()
    assert page.locator("#plate_angle_deg").input_value() == "100"
    page.get_by_label("Blade-plate angle (°)").fill("wide")
    page.get_by_role("button", name="Run the planner").click()
    assert "is not a number" in page.locator("#planner-output").inner_text()
    screenshot(page, "planner-in-the-form")
    violations = axe_violations(page)
    assert not violations, describe(violations)
