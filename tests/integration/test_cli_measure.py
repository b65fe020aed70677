"""``hipcare measure`` run in-process and as a real process: measures, and every refusal."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hipcare.cli import main
from hipcare.cli.command_io import CommandIO

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sample_film.json"
HIPCARE = Path(sys.executable).with_name("hipcare")


def run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["measure", *argv], {}, io=CommandIO(io.StringIO(stdin), out, err, environ={}))
    return status, out.getvalue(), err.getvalue()


def sample() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return document


def test_sample_film_right_hip_is_at_risk_and_left_is_not() -> None:
    status, out, err = run([str(FIXTURE)])
    assert (status, err) == (0, "")
    result = json.loads(out)
    # Right: a = 690 - 573 = 117 px, b = 833 - 573 = 260 px -> 45%; left: 39 / 260 -> 15%.
    assert result["right"]["migration_percentage"] == 45.0
    assert result["left"]["migration_percentage"] == 15.0
    assert result["right"]["head_width_mm"] == 39.0  # 260 px * 0.15 mm
    assert result["right"]["dislocated"] is False
    assert set(result["right"]) >= {"neck_shaft_angle_deg", "head_shaft_angle_deg"}
    assert "neck_shaft_angle_deg" not in result["left"]
    assert result["pelvic_obliquity_high_side"] == "right"
    assert "Reimers" in result["method"]["migration_percentage"]


def test_measure_reads_standard_input_when_no_file_is_given() -> None:
    status, out, _ = run([], stdin=FIXTURE.read_text(encoding="utf-8"))
    assert status == 0
    assert json.loads(out)["right"]["migration_percentage_raw"] == 45.0


def test_a_side_left_out_is_absent_from_the_output() -> None:
    document = sample()
    del document["landmarks"]["left"]
    del document["pixel_spacing_mm"]
    status, out, _ = run([], stdin=json.dumps(document))
    result = json.loads(out)
    assert status == 0
    assert "left" not in result
    assert "head_width_mm" not in result["right"]


def test_compare_reports_change_between_two_dated_films(tmp_path: Path) -> None:
    earlier = sample()
    earlier["date"] = "2025-01-15"
    # One year later the right head has moved 20 px further out: (710 - 573) / 260 = 52.69%.
    later = copy.deepcopy(earlier)
    later["date"] = "2026-01-15"
    later["landmarks"]["right"]["head_lateral"] = [553, 1060]
    later["landmarks"]["right"]["head_medial"] = [813, 1060]
    (tmp_path / "earlier.json").write_text(json.dumps(earlier), encoding="utf-8")
    (tmp_path / "later.json").write_text(json.dumps(later), encoding="utf-8")
    status, out, err = run(
        [str(tmp_path / "earlier.json"), "--compare", str(tmp_path / "later.json")]
    )
    assert (status, err) == (0, "")
    result = json.loads(out)
    assert result["later"]["right"]["migration_percentage"] == 52.69
    right = result["change"]["right"]
    assert right["change_percentage_points"] == 7.69
    assert right["within_measurement_error"] is True
    assert result["change"]["left"]["change_percentage_points"] == 0.0


def _with(path: str, value: Any) -> dict[str, Any]:
    """The sample film with the value at ``path`` (dotted; ``-`` deletes) replaced."""
    document = sample()
    *parents, last = path.split(".")
    target = document
    for key in parents:
        target = target[key]
    if value == "-":
        del target[last]
    else:
        target[last] = value
    return document


REFUSALS = [
    ("coincident triradiates", _with("landmarks.triradiate_left", [920, 1000]),
     "landmarks.triradiate_left"),
    ("head edges swapped", _with("landmarks.right.head_medial", [500, 1060]),
     "landmarks.right.head_lateral"),
    ("head width zero", _with("landmarks.right.head_medial", [573, 1000]),
     "landmarks.right.head_lateral"),
    ("required hip landmark missing", _with("landmarks.right.head_medial", "-"),
     "landmarks.right.head_medial"),
    ("triradiate missing", _with("landmarks.triradiate_left", "-"), "landmarks.triradiate_left"),
    ("neck without its pair", _with("landmarks.right.neck_base", "-"), "landmarks.right.neck_base"),
    ("shaft missing for the angles", _with("landmarks.right.shaft_distal", "-"),
     "landmarks.right.shaft_distal"),
    ("one iliac crest only", _with("landmarks.iliac_crest_left", "-"),
     "landmarks.iliac_crest_left"),
    ("iliac crest on the wrong side", _with("landmarks.iliac_crest_right", [1900, 420]),
     "landmarks.iliac_crest_right"),
    ("shaft points coincide", _with("landmarks.right.shaft_distal", [560, 1250]),
     "landmarks.right.shaft_distal"),
    ("acetabulum on the wrong side", _with("landmarks.right.acetabulum_lateral", [1000, 880]),
     "landmarks.right.acetabulum_lateral"),
    ("film on its side", _with("landmarks.triradiate_left", [1000, 1700]),
     "landmarks.triradiate_left"),
    ("no hips", {"landmarks": {"triradiate_right": [920, 1000], "triradiate_left": [1580, 1000]}},
     "landmarks"),
    ("point is text", _with("landmarks.right.head_lateral", "573,1060"),
     "landmarks.right.head_lateral"),
    ("point has one number", _with("landmarks.right.head_lateral", [573]),
     "landmarks.right.head_lateral"),
    ("point has three numbers", _with("landmarks.right.head_lateral", [573, 1060, 0]),
     "landmarks.right.head_lateral"),
    ("point holds a boolean", _with("landmarks.right.head_lateral", [True, 1060]),
     "landmarks.right.head_lateral"),
    ("point holds null", _with("landmarks.triradiate_right", [None, 1000]),
     "landmarks.triradiate_right"),
    ("point is an object", _with("landmarks.left.acetabulum_lateral", {"x": 1, "y": 2}),
     "landmarks.left.acetabulum_lateral"),
    ("spacing zero", _with("pixel_spacing_mm", [0, 0.15]), "pixel_spacing_mm[0]"),
    ("spacing negative", _with("pixel_spacing_mm", [0.15, -0.15]), "pixel_spacing_mm[1]"),
    ("spacing single number", _with("pixel_spacing_mm", 0.15), "pixel_spacing_mm"),
    ("spacing text", _with("pixel_spacing_mm", ["0.15", 0.15]), "pixel_spacing_mm[0]"),
    ("unknown hip landmark", _with("landmarks.right.head_lateal", [1, 2]),
     "landmarks.right.head_lateal"),
    ("unknown pelvis landmark", _with("landmarks.teardrop_right", [1, 2]),
     "landmarks.teardrop_right"),
    ("unknown top-level key", _with("pixel_spacing", [0.15, 0.15]), "pixel_spacing"),
    ("side is not an object", _with("landmarks.left", [1, 2]), "landmarks.left"),
    ("landmarks is not an object", _with("landmarks", []), "landmarks"),
    ("landmarks missing", _with("landmarks", "-"), "landmarks"),
    ("date not a date", _with("date", "yesterday"), "date"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("document", "field"), [(d, f) for _, d, f in REFUSALS], ids=[n for n, _, _ in REFUSALS]
)
def test_bad_landmarks_are_refused_with_one_line_naming_the_landmark(
    document: dict[str, Any], field: str
) -> None:
    status, out, err = run([], stdin=json.dumps(document))
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"hipcare measure: error: {field}: ")
    assert "Traceback" not in err


SAMPLE_TEXT = json.dumps(sample())


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (
            SAMPLE_TEXT.replace(
                '"triradiate_right": [920, 1000]', '"triradiate_right": [NaN, 1000]'
            ),
            "landmarks.triradiate_right",
        ),
        (
            SAMPLE_TEXT.replace('"head_lateral": [573, 1060]', '"head_lateral": [573, -Infinity]'),
            "landmarks.right.head_lateral",
        ),
        (
            SAMPLE_TEXT.replace(
                '"pixel_spacing_mm": [0.15, 0.15]', '"pixel_spacing_mm": [0.15, Infinity]'
            ),
            "pixel_spacing_mm[1]",
        ),
        ("[1, 2]", "input"),
        ("", "input"),
        ("{not json", "input"),
    ],
)
def test_non_finite_numbers_and_broken_json_are_refused(text: str, field: str) -> None:
    status, _, err = run([], stdin=text)
    assert status == 2
    assert err.count("\n") == 1
    assert err.startswith(f"hipcare measure: error: {field}: ")


def test_the_non_finite_cases_above_really_hold_non_finite_numbers() -> None:
    """Guards the replacements above: each must have changed the sample text."""
    assert SAMPLE_TEXT.count('"triradiate_right": [920, 1000]') == 1
    assert SAMPLE_TEXT.count('"head_lateral": [573, 1060]') == 1
    assert SAMPLE_TEXT.count('"pixel_spacing_mm": [0.15, 0.15]') == 1


def test_unknown_landmark_message_lists_the_known_names() -> None:
    """A typo is refused, and the message says what the right names are."""
    _, _, err = run([], stdin=json.dumps(_with("landmarks.right.head_lateal", [1, 2])))
    for known in ("acetabulum_lateral", "head_medial", "head_lateral", "physis_medial"):
        assert known in err


def test_missing_file_is_refused() -> None:
    status, _, err = run(["/nonexistent/film.json"])
    assert status == 2
    assert err.startswith("hipcare measure: error: input: ")


@pytest.mark.parametrize(
    ("earlier_date", "later_date", "field"),
    [
        ("2025-01-01", "2025-01-01", "later.date"),
        ("2025-06-01", "2025-01-01", "later.date"),
        (None, "2025-01-01", "earlier.date"),
        ("2025-01-01", "1 March 2025", "later.date"),
        ("2025-01-01", 20250301, "later.date"),
    ],
)
def test_compare_refuses_films_without_increasing_dates(
    tmp_path: Path, earlier_date: str | None, later_date: Any, field: str
) -> None:
    earlier, later = sample(), sample()
    if earlier_date is not None:
        earlier["date"] = earlier_date
    later["date"] = later_date
    (tmp_path / "a.json").write_text(json.dumps(earlier), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(later), encoding="utf-8")
    status, out, err = run([str(tmp_path / "a.json"), "--compare", str(tmp_path / "b.json")])
    assert (status, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith(f"hipcare measure: error: {field}: ")


def test_compare_names_the_film_holding_the_bad_landmark(tmp_path: Path) -> None:
    earlier, later = sample(), _with("landmarks.right.head_medial", [500, 1060])
    earlier["date"], later["date"] = "2025-01-01", "2026-01-01"
    (tmp_path / "a.json").write_text(json.dumps(earlier), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(later), encoding="utf-8")
    _, _, err = run([str(tmp_path / "a.json"), "--compare", str(tmp_path / "b.json")])
    assert err.startswith("hipcare measure: error: later.landmarks.right.head_lateral: ")


@pytest.mark.slow
def test_measure_runs_as_a_real_process() -> None:
    completed = subprocess.run(
        [str(HIPCARE), "measure", str(FIXTURE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["right"]["migration_percentage"] == 45.0


@pytest.mark.slow
def test_bad_input_in_a_real_process_is_one_line_and_exit_2() -> None:
    completed = subprocess.run(
        [str(HIPCARE), "measure"],
        input=json.dumps(_with("landmarks.right.head_medial", [500, 1060])),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.splitlines() == [
        completed.stderr.strip()
    ]  # exactly one line, no traceback
    assert completed.stderr.startswith("hipcare measure: error: landmarks.right.head_lateral: ")
