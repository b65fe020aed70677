"""The radiograph viewer in real headless Chromium against ``hipcare serve --demo``.

A clinician uploads a synthetic DICOM film, places the landmarks with the mouse (and drags
one), and the migration percentage the page shows live must equal the domain's value for the
coordinates read back from the page (``hipcare.services.radiograph.measure_radiograph``);
then the same with the keyboard only. Saving shows the server's values; a second clinician
measures blind and then sees the difference. axe-core audits the viewer. Screenshots go to
``out/screenshots/radiograph-*.png``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.e2e.browser import Server, axe_violations, describe, screenshot, sign_in
from tests.fixtures.radiographs import FILM_IDENTIFIERS, SMALL, dicom_bytes

from hipcare.domain.errors import InvalidInputError
from hipcare.services.radiograph import measure_radiograph

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SURGEON = "lee@harbour.example.org"
NURSE = "nurse@harbour.example.org"
SAMPLE = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "sample_film.json").read_text()
)
SPACING = [0.15, 0.15]  # what the synthetic DICOM files carry
HIP = ("acetabulum_lateral", "head_medial", "head_lateral")


def _targets(factor: float) -> dict[str, tuple[float, float]]:
    """The sample film's landmarks (scaled to the film used) keyed as the viewer keys them."""
    marks = SAMPLE["landmarks"]
    targets = {name: marks[name] for name in ("triradiate_right", "triradiate_left")}
    for side in ("right", "left"):
        targets.update({f"{side}.{name}": marks[side][name] for name in HIP})
    return {key: (x * factor, y * factor) for key, (x, y) in targets.items()}


def _child(page: Any, server: Server, tag: str) -> int:
    """A synthetic child whose name and birth date match the synthetic DICOM files."""
    token = page.request.get(server.url("/api/me")).json()["csrf_token"]
    response = page.request.post(
        server.url("/api/children"),
        data={
            "given_name": "Amira",
            "family_name": "Synthetic",
            "date_of_birth": FILM_IDENTIFIERS["birth_date"].isoformat(),
            "site": "harbour-childrens",
            "gmfcs": "IV",
            "preferred_language": "en",
            "contacts": [
                {"name": f"Test parent {tag}", "relationship": "mother", "phone": "0400 555 020"}
            ],
            # Each test registers the same synthetic child again, on purpose (issue 15).
            "confirm_not_duplicate": True,
        },
        headers={"X-CSRF-Token": token},
    )
    assert response.status == 201, response.text()
    return int(response.json()["id"])


def _upload(page: Any, server: Server, child_id: int, film: Path, tag: str) -> None:
    page.goto(server.url(f"/children/{child_id}"))
    page.get_by_role("link", name="Add a film (DICOM, PNG or JPEG)").click()
    page.get_by_label("AP pelvis radiograph").set_input_files(str(film))
    page.get_by_label("Date the film was taken").fill(datetime.now(UTC).date().isoformat())
    screenshot(page, f"radiograph-{tag}-01-upload")
    page.get_by_role("button", name="Add the film").click()
    page.wait_for_selector("#viewer[data-ready='true']")
    page.wait_for_function("() => document.querySelector('#film-image').getBBox().width > 0")


def _client_point(page: Any, x: float, y: float) -> tuple[float, float]:
    """Where film pixel (x, y) is on the screen now (the SVG's own transform)."""
    point: dict[str, float] = page.evaluate(
        """([x, y]) => {
            const svg = document.getElementById('stage');
            const p = svg.createSVGPoint(); p.x = x; p.y = y;
            const q = p.matrixTransform(svg.getScreenCTM());
            return {x: q.x, y: q.y};
        }""",
        [x, y],
    )
    return point["x"], point["y"]


def _click_film(page: Any, x: float, y: float) -> None:
    """Click film pixel (x, y), with the film in the middle of the window first."""
    page.evaluate("() => document.getElementById('stage').scrollIntoView({block: 'center'})")
    page.mouse.click(*_client_point(page, x, y))


def _placed(page: Any) -> dict[str, list[float]]:
    """The landmarks as the page holds them (film pixel coordinates)."""
    found: dict[str, list[float]] = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('circle[data-landmark]')]
            .map(c => [c.dataset.landmark, [Number(c.dataset.x), Number(c.dataset.y)]]))"""
    )
    return found


def _document(placed: dict[str, list[float]]) -> dict[str, Any]:
    landmarks: dict[str, Any] = {}
    for key, point in placed.items():
        if "." in key:
            side, name = key.split(".")
            landmarks.setdefault(side, {})[name] = point
        else:
            landmarks[key] = point
    return {"landmarks": landmarks, "pixel_spacing_mm": SPACING}


def _shown(page: Any, side: str, measure: str = "migration_percentage") -> tuple[float, str]:
    cell = page.locator(f'#live-values tr[data-side="{side}"] td[data-measure="{measure}"]')
    return float(cell.get_attribute("data-value")), cell.inner_text()


def _check_live_values_equal_the_domain(page: Any) -> dict[str, Any]:
    expected = measure_radiograph(_document(_placed(page)))
    for side in ("right", "left"):
        for measure in ("migration_percentage", "acetabular_index_deg"):
            value, text = _shown(page, side, measure)
            assert value == pytest.approx(expected[side][measure], abs=0.006), (side, measure)
            assert float(text.split("%")[0].split("°")[0]) == pytest.approx(
                expected[side][measure], abs=0.051
            )
    return expected


def test_landmarks_placed_and_dragged_with_the_mouse_give_the_domains_values_then_saved(
    page: Any, sqlite_server: Server, tmp_path: Path
) -> None:
    server = sqlite_server
    film = tmp_path / "synthetic-film.dcm"
    film.write_bytes(dicom_bytes())
    sign_in(page, server, SURGEON)
    child_id = _child(page, server, "mouse")
    _upload(page, server, child_id, film, "mouse")
    screenshot(page, "radiograph-mouse-02-viewer-empty")

    for key, (x, y) in _targets(1.0).items():
        page.locator(f'input[name="landmark"][value="{key}"]').check()
        _click_film(page, x, y)
    screenshot(page, "radiograph-mouse-03-placed")
    placed = _placed(page)
    assert set(placed) == set(_targets(1.0))
    for key, (x, y) in _targets(1.0).items():  # a click lands within a film pixel or two
        assert placed[key] == pytest.approx([x, y], abs=4.0), key
    _check_live_values_equal_the_domain(page)

    # Drag the right femoral head's lateral edge 60 film pixels outwards (image left).
    x, y = placed["right.head_lateral"]
    start = _client_point(page, x, y)
    end = _client_point(page, x - 60, y)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move((start[0] + end[0]) / 2, start[1], steps=3)
    page.mouse.move(*end, steps=3)
    page.mouse.up()
    assert _placed(page)["right.head_lateral"][0] == pytest.approx(x - 60, abs=4.0)
    expected = _check_live_values_equal_the_domain(page)
    assert expected["right"]["migration_percentage"] > 45.0  # a wider head beyond Perkin's line

    page.get_by_role("button", name="Zoom in (+)").click()
    page.get_by_label("Window width (contrast: narrower is stronger)").fill("4000")
    page.wait_for_function(
        "() => document.querySelector('#film-image').getAttribute('href').includes('window_width')"
    )
    screenshot(page, "radiograph-mouse-04-zoomed-windowed")
    page.get_by_role("button", name="Fit the film").click()

    violations = axe_violations(page)
    assert not violations, describe(violations)

    page.get_by_role("button", name="Save my reading").click()
    page.wait_for_selector("#saved-readings")
    screenshot(page, "radiograph-mouse-05-saved")
    saved = page.locator(
        '#saved-readings tr[data-side="right"] td[data-measure="migration_percentage"]'
    )
    assert float(saved.get_attribute("data-value")) == expected["right"]["migration_percentage"]

    # A second clinician measures blind, then sees both readings and the difference.
    page.context.clear_cookies()
    sign_in(page, server, NURSE)
    page.goto(server.url(f"/children/{child_id}"))
    page.get_by_role("link", name="Open in the viewer to measure").first.click()
    page.wait_for_selector("#viewer[data-ready='true']")
    assert page.get_by_text("Blind reading:").is_visible()
    assert page.locator("#saved-readings").count() == 0
    for key, (x, y) in _targets(1.0).items():
        page.locator(f'input[name="landmark"][value="{key}"]').check()
        _click_film(page, x, y)
    _check_live_values_equal_the_domain(page)
    page.get_by_role("button", name="Save my reading").click()
    page.wait_for_selector("#comparison")
    screenshot(page, "radiograph-blind-06-comparison")
    row = page.locator('#comparison tr[data-side="right"][data-measure="migration_percentage"]')
    assert "beyond ±5.8" in row.inner_text() or "within ±5.8" in row.inner_text()
    violations = axe_violations(page)
    assert not violations, describe(violations)

    page.goto(server.url(f"/children/{child_id}"))
    page.wait_for_selector("figure.overlay img")
    page.locator("#radiographs").scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('figure.overlay img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    screenshot(page, "radiograph-07-child-page-overlay")
    loaded = page.evaluate(
        "() => [...document.querySelectorAll('figure.overlay img')].map(i => i.naturalWidth)"
    )
    assert loaded

    page.emulate_media(media="print")  # the print stylesheet: the films without the controls
    assert not page.locator(".site-header").is_visible()
    assert not page.get_by_role("button", name="Print the films").is_visible()
    assert page.locator("figure.overlay img").first.is_visible()
    screenshot(page, "radiograph-08-child-page-print")
    assert all(width > 0 for width in loaded)


KEY_PRESSES_BEFORE = 960
"""Key presses the keyboard test needed to place these 8 landmarks before issue 16 (Tab
through every control between the list and the film, 10-pixel large steps)."""


def test_landmarks_placed_with_the_keyboard_only_give_the_domains_values(
    page: Any, sqlite_server: Server, tmp_path: Path
) -> None:
    """One Tab from the landmark list reaches the film; N chooses the next landmark, Enter
    places it at the centre, Shift+arrow moves a twentieth of the view and arrow 1 pixel.
    Every key press is counted: 8 landmarks take far fewer than the 960 they took before."""
    server = sqlite_server
    film = tmp_path / "small-synthetic-film.dcm"
    film.write_bytes(dicom_bytes(rows=SMALL[0], columns=SMALL[1]))
    sign_in(page, server, SURGEON)
    child_id = _child(page, server, "keyboard")
    _upload(page, server, child_id, film, "keyboard")
    columns, rows = SMALL[1], SMALL[0]
    targets = {key: (round(x), round(y)) for key, (x, y) in _targets(columns / 2500).items()}
    keys = page.evaluate(
        "() => [...document.querySelectorAll('input[name=landmark]')].map(i => i.value)"
    )
    hint = page.locator("#landmark-hint").inner_text()
    assert "one Tab reaches the film" in hint
    presses = 0

    def press(key: str) -> None:
        nonlocal presses
        presses += 1
        page.keyboard.press(key)

    page.locator('input[name="landmark"]').first.focus()
    press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "stage"
    current = 0
    for key, (x, y) in targets.items():
        index = keys.index(key)
        for _ in range(index - current):
            press("n")
        current = index
        assert page.locator(f'input[name="landmark"][value="{key}"]').is_checked()
        assert "not placed" in page.locator("#landmark-status").inner_text()
        press("Enter")  # placed at the centre of the view
        large = int(page.locator("#viewer").get_attribute("data-large-step") or "0")
        assert large == round(max(columns, rows) / 20)
        start_x, start_y = _placed(page)[key]
        for delta, positive, negative in (
            (x - start_x, "ArrowRight", "ArrowLeft"),
            (y - start_y, "ArrowDown", "ArrowUp"),
        ):
            big = round(abs(delta) / large)
            for _ in range(big):
                press(f"Shift+{positive if delta > 0 else negative}")
            rest = delta - (big * large if delta > 0 else -big * large)
            for _ in range(abs(round(rest))):
                press(positive if rest > 0 else negative)
        assert _placed(page)[key] == [x, y], key
        assert f"at {x}, {y}" in page.locator("#landmark-status").inner_text()
    screenshot(page, "radiograph-keyboard-03-placed")
    # Deterministic for these targets on this film: the figure docs/web.md gives.
    assert len(targets) == 8
    assert presses == 167, presses
    assert presses < KEY_PRESSES_BEFORE / 4
    expected = _check_live_values_equal_the_domain(page)
    assert expected == measure_radiograph(
        _document({key: [float(x), float(y)] for key, (x, y) in targets.items()})
    )
    # Typed coordinates: the chosen landmark moves to the typed point; a wrong value is named.
    press("p")
    chosen = keys[current - 1]
    page.locator("#typed-x").fill("9999")
    page.get_by_role("button", name="Place the chosen landmark here").click()
    assert f"x must be a number from 0 to {columns}" in page.locator("#typed-problem").inner_text()
    page.locator("#typed-x").fill("120.5")
    page.locator("#typed-y").fill("300")
    page.get_by_role("button", name="Place the chosen landmark here").click()
    assert _placed(page)[chosen] == [120.5, 300]
    assert page.locator("#typed-problem").inner_text() == ""
    assert axe_violations(page) == [], describe(axe_violations(page))


def _pair(draw: Any, x: tuple[float, float], y: tuple[float, float]) -> list[float]:
    return [
        round(draw(st.floats(min_value=x[0], max_value=x[1])), 2),
        round(draw(st.floats(min_value=y[0], max_value=y[1])), 2),
    ]


@st.composite
def _films(draw: Any) -> dict[str, Any]:
    """Landmark documents shaped like AP pelvis films (head-up, patient's right on the image
    left), with ranges wide enough that some are refused (swapped edges, a tilted line)."""
    centre_x = draw(st.floats(min_value=800, max_value=1700))
    centre_y = draw(st.floats(min_value=800, max_value=1500))
    half = draw(st.floats(min_value=150, max_value=600))
    tilt = draw(st.floats(min_value=-120, max_value=120))
    landmarks: dict[str, Any] = {
        "triradiate_right": [round(centre_x - half, 2), round(centre_y + tilt / 2, 2)],
        "triradiate_left": [round(centre_x + half, 2), round(centre_y - tilt / 2, 2)],
    }
    for side, sign in (("right", -1), ("left", 1)):
        if not draw(st.booleans()) and side == "left":
            continue

        def outward(low: float, high: float, sign: int = sign) -> tuple[float, float]:
            a, b = centre_x + sign * (half + low), centre_x + sign * (half + high)
            return (min(a, b), max(a, b))

        hip = {
            "acetabulum_lateral": _pair(draw, outward(-40, 300), (centre_y - 250, centre_y + 40)),
            "head_medial": _pair(draw, outward(-80, 150), (centre_y - 50, centre_y + 150)),
            "head_lateral": _pair(draw, outward(60, 420), (centre_y - 50, centre_y + 150)),
        }
        extras = draw(st.sampled_from(["none", "neck", "physis", "both", "shaft only"]))
        if extras != "none":
            hip["shaft_proximal"] = _pair(draw, outward(0, 300), (centre_y + 150, centre_y + 300))
            hip["shaft_distal"] = _pair(draw, outward(0, 300), (centre_y + 500, centre_y + 900))
        if extras in ("neck", "both"):
            hip["head_centre"] = _pair(draw, outward(0, 250), (centre_y - 50, centre_y + 100))
            hip["neck_base"] = _pair(draw, outward(-50, 300), (centre_y + 100, centre_y + 250))
        if extras in ("physis", "both"):
            hip["physis_medial"] = _pair(draw, outward(0, 150), (centre_y - 60, centre_y + 60))
            hip["physis_lateral"] = _pair(draw, outward(150, 350), (centre_y - 60, centre_y + 60))
        landmarks[side] = hip
    film: dict[str, Any] = {"landmarks": landmarks}
    if draw(st.booleans()):
        film["pixel_spacing_mm"] = [
            round(draw(st.floats(min_value=0.05, max_value=0.3)), 3),
            round(draw(st.floats(min_value=0.05, max_value=0.3)), 3),
        ]
    return film


_COMPARED_KEYS = (
    "migration_percentage",
    "migration_percentage_raw",
    "acetabular_index_deg",
    "neck_shaft_angle_deg",
    "head_shaft_angle_deg",
)


def test_the_viewers_formulas_agree_with_the_domain_on_many_films(
    page: Any, sqlite_server: Server, tmp_path: Path
) -> None:
    """Hypothesis: viewer.js's port gives the service's values (to the 0.01 the service
    rounds to) or refuses the same landmark."""
    server = sqlite_server
    film = tmp_path / "small-synthetic-film.dcm"
    film.write_bytes(dicom_bytes(rows=SMALL[0], columns=SMALL[1]))
    sign_in(page, server, SURGEON)
    _upload(page, server, _child(page, server, "formulas"), film, "formulas")
    measured = {"agreed": 0, "refused": 0}

    @settings(max_examples=300, deadline=None, database=None)
    @given(_films())
    def agree(document: dict[str, Any]) -> None:
        browser: dict[str, Any] = page.evaluate(
            """film => {
                try { return {ok: window.hipcareMeasureFilm(film)}; }
                catch (error) { return {field: error.field, message: error.message}; }
            }""",
            document,
        )
        refused_field = None
        try:
            expected = measure_radiograph(document)
        except InvalidInputError as error:
            refused_field = error.field
        if refused_field is not None:
            assert "field" in browser, (refused_field, browser)
            assert browser["field"] == refused_field, (refused_field, browser)
            measured["refused"] += 1
            return
        assert "ok" in browser, (expected, browser)
        for side in ("right", "left"):
            assert (side in expected) == (side in browser["ok"])
            if side not in expected:
                continue
            for key in _COMPARED_KEYS:
                assert (key in expected[side]) == (key in browser["ok"][side]), key
                if key in expected[side]:
                    assert browser["ok"][side][key] == pytest.approx(
                        expected[side][key], abs=0.0100001
                    ), (side, key)
            assert browser["ok"][side]["dislocated"] == expected[side]["dislocated"]
        measured["agreed"] += 1

    agree()
    assert measured["agreed"] > 100  # most examples are measurable films
    assert measured["refused"] > 0  # and the refusals were compared too


def test_a_landmark_is_placed_by_a_tap_on_a_touch_screen_and_no_identifier_is_logged(
    browser: Any, sqlite_server: Server, tmp_path: Path
) -> None:
    server = sqlite_server
    context = browser.new_context(
        has_touch=True, is_mobile=True, viewport={"width": 412, "height": 900}, bypass_csp=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        film = tmp_path / "small-synthetic-film.dcm"
        film.write_bytes(dicom_bytes(rows=SMALL[0], columns=SMALL[1]))
        sign_in(page, server, SURGEON)
        _upload(page, server, _child(page, server, "touch"), film, "touch")
        target = _targets(SMALL[1] / 2500)["triradiate_right"]
        page.locator('input[name="landmark"][value="triradiate_right"]').check()
        page.evaluate("() => document.getElementById('stage').scrollIntoView({block: 'center'})")
        page.touchscreen.tap(*_client_point(page, *target))
        placed = _placed(page)["triradiate_right"]
        assert placed == pytest.approx(list(target), abs=2.0)
        screenshot(page, "radiograph-touch-01-tapped")
    finally:
        context.close()
    log = server.log.read_text(encoding="utf-8")
    for identifier in ("SYN-000123", "Synthetic^Amira", "Amira", "20180314", "ACC-42"):
        assert identifier not in log
