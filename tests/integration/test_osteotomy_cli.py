"""``hipcare osteotomy`` end to end: the printed contract, errors as one line, a real process."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hipcare.cli import main
from hipcare.cli.command_io import CommandIO


def plan_args(before: str, target: str, plate: str) -> list[str]:
    """``hipcare osteotomy`` with the three required angles."""
    return [
        "osteotomy",
        "--neck-shaft-angle",
        before,
        "--target-neck-shaft-angle",
        target,
        "--plate-angle",
        plate,
    ]


OXFORD = plan_args("150", "120", "90")


def run(argv: list[str]) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    command_io = CommandIO(stdin=io.StringIO(), stdout=stdout, stderr=stderr, environ={})
    status = main(argv, environ={}, io=command_io)
    return status, stdout.getvalue(), stderr.getvalue()


def test_json_carries_the_contract_keys_for_the_oxford_example() -> None:
    status, out, err = run([*OXFORD, "--json"])
    assert (status, err) == (0, "")
    plan = json.loads(out)
    assert plan["correction_deg"] == 30
    assert plan["chisel_to_neck_deg"] == 30
    assert plan["chisel_to_shaft_deg"] == 120
    assert plan["derotation_deg"] is None
    assert plan["final_neck_shaft_angle_deg"] == 120
    assert plan["shortening_mm_estimate"] == pytest.approx(12.7)
    assert "method" in plan
    assert any("to be confirmed by the clinical lead" in note for note in plan["notes"])


def test_json_gives_derotation_when_both_anteversions_are_given() -> None:
    status, out, _ = run([*OXFORD, "--anteversion", "45", "--target-anteversion", "10", "--json"])
    assert status == 0
    assert json.loads(out)["derotation_deg"] == 35


def test_given_neck_length_changes_the_estimate_and_is_not_called_assumed() -> None:
    status, out, _ = run(
        [
            *OXFORD,
            "--neck-length-mm",
            "30",
            "--hinge-medial-offset-mm",
            "0",
            "--hinge-distal-offset-mm",
            "0",
            "--json",
        ]
    )
    plan = json.loads(out)
    assert status == 0
    assert plan["shortening_mm_estimate"] == pytest.approx(11.0)  # 30 * 0.36603
    assert plan["shortening_model"]["assumed"] == []


def test_table_lists_every_contract_value_aligned() -> None:
    status, out, err = run([*OXFORD, "--anteversion", "40", "--target-anteversion", "10"])
    assert (status, err) == (0, "")
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "30°" in rows["correction_deg"]
    assert "30°" in rows["chisel_to_neck_deg"]
    assert "120°" in rows["chisel_to_shaft_deg"]
    assert "30°" in rows["derotation_deg"]
    assert "mm" in rows["shortening_mm_estimate"]
    value_ends = {
        rows[key].index("°") for key in ("correction_deg", "chisel_to_shaft_deg", "derotation_deg")
    }
    assert len(value_ends) == 1, "values are right-aligned in one column"
    assert "Notes:" in out


def test_table_shows_a_dash_and_a_hint_without_anteversion() -> None:
    _, out, _ = run(OXFORD)
    row = next(line for line in out.splitlines() if line.startswith("derotation_deg"))
    assert " - " in row
    assert "--anteversion" in row


def test_unusual_target_is_planned_with_a_visible_note() -> None:
    status, out, _ = run(plan_args("150", "130", "100"))
    assert status == 0
    assert "outside the usual 110–120°" in out


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--anteversion", "40"], "--target-anteversion: anteversion before and target"),
        (["--target-anteversion", "10"], "--anteversion: anteversion before and target"),
        (["--anteversion", "nan", "--target-anteversion", "10"], "'nan' is not a finite number"),
        (["--neck-length-mm", "inf"], "'inf' is not a finite number"),
        (["--anteversion", "ninety", "--target-anteversion", "1"], "'ninety' is not a number"),
        (["--anteversion", "95", "--target-anteversion", "10"], "--anteversion: anteversion 95°"),
        (["--neck-length-mm", "200"], "--neck-length-mm: 200 mm is outside"),
    ],
)
def test_bad_optional_values_exit_2_with_one_line(extra: list[str], words: str) -> None:
    status, out, err = run([*OXFORD, *extra])
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert words in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (
            plan_args("nan", "120", "90"),
            "argument --neck-shaft-angle: 'nan' is not a finite number",
        ),
        (
            plan_args("150", "160", "90"),
            "--target-neck-shaft-angle: target neck-shaft angle 160° is outside the 90–150°",
        ),
        (
            plan_args("130", "140", "120"),
            "valgus osteotomy",
        ),
        (
            plan_args("150", "120", "130"),
            "hipcare osteotomy: error: --plate-angle: a 130° plate cannot reach a target of 120°",
        ),
        (
            plan_args("200", "120", "90"),
            "--neck-shaft-angle: neck-shaft angle 200° is outside the 90–180°",
        ),
        (
            ["osteotomy", "--neck-shaft-angle", "150", "--target-neck-shaft-angle", "120"],
            "the following arguments are required: --plate-angle",
        ),
    ],
)
def test_bad_angles_exit_2_with_one_line_naming_the_option(argv: list[str], words: str) -> None:
    status, out, err = run(argv)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert words in err


@pytest.mark.slow
def test_installed_console_script_plans_the_oxford_example() -> None:
    """The real ``hipcare`` executable, in its own process, prints the JSON contract."""
    script = Path(sys.executable).with_name("hipcare")
    completed = subprocess.run(
        [str(script), *OXFORD, "--json"], capture_output=True, text=True, check=False, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    plan = json.loads(completed.stdout)
    assert (plan["correction_deg"], plan["chisel_to_neck_deg"], plan["chisel_to_shaft_deg"]) == (
        30,
        30,
        120,
    )
    refused = subprocess.run(
        [str(script), *plan_args("nan", "120", "90")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1
    assert "Traceback" not in refused.stderr
