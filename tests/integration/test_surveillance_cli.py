"""`hipcare surveillance [FILE]`: JSON in, next review and cited actions out; bad input exit 2."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hipcare.cli import main
from hipcare.cli.command_io import CommandIO

HIPCARE = Path(sys.executable).with_name("hipcare")

GMFCS_IV_MP_35 = {
    "date_of_birth": "2021-03-10",
    "gmfcs": "IV",
    "today": "2024-09-01",
    "visits": [
        {"date": "2024-02-01", "xray": True, "migration_percentage": {"right": 32, "left": 18}},
        {"date": "2024-08-01", "xray": True, "migration_percentage": {"right": 35, "left": 18}},
    ],
}


def _run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, {}, io=CommandIO(io.StringIO(stdin), out, err, {}))
    return status, out.getvalue(), err.getvalue()


def test_reads_standard_input_and_prints_the_contract_keys() -> None:
    status, out, err = _run(["surveillance"], json.dumps(GMFCS_IV_MP_35))
    assert (status, err) == (0, "")
    result = json.loads(out)
    assert result["next_review"] == "2025-02-01"
    assert result["xray_at_next_review"] is True
    assert isinstance(result["actions"], list)
    assert [action["action"] for action in result["actions"]] == [
        "refer-for-orthopaedic-review",
        "schedule-review",
    ]
    assert all(set(action) == {"action", "text", "rule"} for action in result["actions"])
    assert result["rules"]
    for rule in result["rules"]:
        assert {"source", "section", "status"} <= set(rule)
        assert rule["status"] in {"guideline", "local-protocol"}
    assert result["status"] == "needs referral"
    assert result["hips"]["right"]["migration_percentage"] == 35


def test_reads_a_file_argument(tmp_path: Path) -> None:
    path = tmp_path / "child.json"
    path.write_text(json.dumps(GMFCS_IV_MP_35), encoding="utf-8")
    status, out, _ = _run(["surveillance", str(path)])
    assert status == 0
    assert json.loads(out)["next_review"] == "2025-02-01"


def test_a_child_outside_every_rule_gets_a_dated_review_and_says_why() -> None:
    """Issue 14 (was: no date): at maturity with MP 35% surveillance goes on, dated."""
    child = {**GMFCS_IV_MP_35, "skeletal_maturity_reached": True}
    status, out, _ = _run(["surveillance"], json.dumps(child))
    result = json.loads(out)
    assert status == 0
    assert result["next_review"] == "2025-02-01"
    assert result["xray_at_next_review"] is True
    assert result["outside_guideline"] is True
    assert result["melbourne_grade"] == "to be graded by the clinician"
    outside = [a for a in result["actions"] if a["action"] == "outside-guideline"]
    assert len(outside) == 1
    assert "Skeletal maturity" in outside[0]["text"]
    assert "clinician-to-set-next-review" in [a["action"] for a in result["actions"]]


def test_the_hips_carry_stability_and_rise_per_year() -> None:
    status, out, _ = _run(["surveillance"], json.dumps(GMFCS_IV_MP_35))
    right = json.loads(out)["hips"]["right"]
    assert status == 0
    # 32 -> 35 over 182 days: 6.0 points a year.
    assert (right["stability"], right["rise_per_year"]) == ("stable", 6.0)


def test_examination_findings_are_read_and_reported() -> None:
    child = json.loads(json.dumps(GMFCS_IV_MP_35))
    child["visits"][1].update(
        {
            "hip_pain": True,
            "passive_abduction_deg": {"right": 25, "left": 40},
            "pelvic_obliquity_deg": 6,
            "scoliosis": False,
            "windswept_posture": True,
        }
    )
    status, out, _ = _run(["surveillance"], json.dumps(child))
    result = json.loads(out)
    assert status == 0
    assert result["examination"] == {
        "date": "2024-08-01",
        "hip_pain": True,
        "pelvic_obliquity_deg": 6,
        "scoliosis": False,
        "windswept_posture": True,
        "passive_abduction_deg": {"right": 25, "left": 40},
    }
    assert any("passive abduction right 25 degrees" in note for note in result["notes"])


def test_examination_findings_may_come_as_one_object_on_the_visit() -> None:
    child = json.loads(json.dumps(GMFCS_IV_MP_35))
    child["visits"][1]["examination"] = {"pelvic_obliquity_deg": 7, "scoliosis": True}
    status, out, _ = _run(["surveillance"], json.dumps(child))
    assert status == 0
    assert json.loads(out)["examination"] == {
        "date": "2024-08-01",
        "pelvic_obliquity_deg": 7,
        "scoliosis": True,
    }


def _surgery(**entry: Any) -> str:
    operation = {"date": "2024-03-01", "side": "right", "procedure": "vdro", **entry}
    return json.dumps({**GMFCS_IV_MP_35, "hip_surgery": [operation]})


def _with(path: str, value: Any) -> str:
    """GMFCS_IV_MP_35 with the dotted ``path`` (list indexes as numbers) set to ``value``."""
    document = json.loads(json.dumps(GMFCS_IV_MP_35))
    *parents, last = path.split(".")
    target: Any = document
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return json.dumps(document)


@pytest.mark.parametrize(
    ("stdin", "field"),
    [
        (_with("date_of_birth", "2021-02-30"), "date_of_birth"),
        (_with("date_of_birth", "10/03/2021"), "date_of_birth"),
        (_with("date_of_birth", "2024-09-02"), "date_of_birth"),
        (_with("today", 20240901), "today"),
        (_with("gmfcs", "VI"), "gmfcs"),
        (
            _with("visits.1.migration_percentage.left", "fourteen"),
            "visits[1].migration_percentage.left",
        ),
        (_with("visits.0.migration_percentage.right", 130), "visits[0].migration_percentage.right"),
        (_with("visits.1.migration_percentage.left", True), "visits[1].migration_percentage.left"),
        (_with("visits.1.migration_percentage", [35, 18]), "visits[1].migration_percentage"),
        (_with("visits.1.migration_percentage.middle", 3), "visits[1].migration_percentage.middle"),
        (_with("visits.1.date", "2024-09-02"), "visits[1].date"),
        (_with("visits.0.date", "2020-01-01"), "visits[0].date"),
        (_with("visits.0.xray", "yes"), "visits[0].xray"),
        (_with("visits.0", "2024-02-01"), "visits[0]"),
        (_with("visits", {"date": "2024-02-01"}), "visits"),
        (_with("gestation_weeks", "28"), "gestation_weeks"),
        (_with("gestation_weeks", 50), "gestation_weeks"),
        (_with("skeletal_maturity_reached", "no"), "skeletal_maturity_reached"),
        (_with("gestation_week", 30), "gestation_week"),
        (_surgery(side="middle"), "hip_surgery[0].side"),
        (_surgery(side=None), "hip_surgery[0].side"),
        (_surgery(procedure="hip replacement"), "hip_surgery[0].procedure"),
        (_surgery(procedure=["vdro"]), "hip_surgery[0].procedure"),
        (_surgery(date="2024-02-30"), "hip_surgery[0].date"),
        (_surgery(date="2024-09-02"), "hip_surgery[0].date"),
        (_surgery(date="2020-01-01"), "hip_surgery[0].date"),
        (_surgery(surgeon="A"), "hip_surgery[0].surgeon"),
        (json.dumps({**GMFCS_IV_MP_35, "hip_surgery": [{"side": "left"}]}), "hip_surgery[0].date"),
        (json.dumps({**GMFCS_IV_MP_35, "hip_surgery": ["vdro"]}), "hip_surgery[0]"),
        (json.dumps({**GMFCS_IV_MP_35, "hip_surgery": {"side": "left"}}), "hip_surgery"),
        (_with("triradiate_cartilage_closed", "yes"), "triradiate_cartilage_closed"),
        (_with("visits.0.pelvic_obliquity_deg", 95), "visits[0].pelvic_obliquity_deg"),
        (_with("visits.0.pelvic_obliquity_deg", "8"), "visits[0].pelvic_obliquity_deg"),
        (_with("visits.0.hip_pain", "yes"), "visits[0].hip_pain"),
        (_with("visits.0.scoliosis", 1), "visits[0].scoliosis"),
        (_with("visits.0.windswept_posture", "no"), "visits[0].windswept_posture"),
        (
            _with("visits.0.passive_abduction_deg", {"right": 120}),
            "visits[0].passive_abduction_deg.right",
        ),
        (
            _with("visits.0.passive_abduction_deg", {"left": "wide"}),
            "visits[0].passive_abduction_deg.left",
        ),
        (_with("visits.0.examination", {"hip_pain": "yes"}), "visits[0].examination.hip_pain"),
        (
            _with("visits.0.examination", {"passive_abduction_deg": {"right": 100}}),
            "visits[0].examination.passive_abduction_deg.right",
        ),
        (_with("visits.0.examination", {"gait": 1}), "visits[0].examination.gait"),
        (_with("visits.0.examination", [1]), "visits[0].examination"),
        (json.dumps({"gmfcs": "I", "today": "2024-01-01"}), "date_of_birth"),
        (json.dumps({"date_of_birth": "2021-01-01", "today": "2024-01-01"}), "gmfcs"),
        (json.dumps({"date_of_birth": "2021-01-01", "gmfcs": "I"}), "today"),
        (
            json.dumps({**GMFCS_IV_MP_35, "visits": [{"xray": True}]}),
            "visits[0].date",
        ),
        (
            json.dumps({**GMFCS_IV_MP_35, "visits": [{"date": "2024-02-01"}]}),
            "visits[0].xray",
        ),
        (
            json.dumps(
                {
                    **GMFCS_IV_MP_35,
                    "visits": [
                        {"date": "2024-02-01", "xray": False, "migration_percentage": {"right": 3}}
                    ],
                }
            ),
            "visits[0].migration_percentage",
        ),
        ('{"date_of_birth": "2021-01-01", "gmfcs": ', "input"),
        ("", "input"),
        ("[1, 2]", "input"),
        (
            _with("visits.0.migration_percentage.right", float("nan")),
            "visits[0].migration_percentage.right",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_field(stdin: str, field: str) -> None:
    status, out, err = _run(["surveillance"], stdin)
    assert status == 2
    assert out == ""
    assert err.endswith("\n")
    assert err.count("\n") == 1
    assert err.startswith(f"hipcare surveillance: error: {field}: ")
    assert "Traceback" not in err


def test_a_missing_file_is_one_line_too(tmp_path: Path) -> None:
    status, _, err = _run(["surveillance", str(tmp_path / "nothing.json")])
    assert status == 2
    assert err.count("\n") == 1
    assert "does not exist" in err


@pytest.mark.slow
def test_the_installed_command_runs_in_a_real_process() -> None:
    completed = subprocess.run(
        [str(HIPCARE), "surveillance"],
        input=json.dumps(GMFCS_IV_MP_35),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["next_review"] == "2025-02-01"
    assert result["to_be_confirmed_by_clinical_lead"] is True
    bad = subprocess.run(
        [str(HIPCARE), "surveillance"],
        input=_with("gmfcs", "VI"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1
    assert bad.stderr.startswith("hipcare surveillance: error: gmfcs: ")
