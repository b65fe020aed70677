"""`hipcare demo`: measures the sample film and prints the next surveillance review."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from hipcare.cli import main
from hipcare.cli.command_io import CommandIO


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), {}, io=CommandIO(io.StringIO(), out, err, {}))
    return status, out.getvalue(), err.getvalue()


def test_demo_measures_the_sample_film_and_plans_the_next_review() -> None:
    status, out, err = _run("demo", "--today", "2026-11-25", "--json")
    result = json.loads(out)
    assert (status, err) == (0, "")
    assert result["film"]["right"]["migration_percentage"] == 45.0
    assert result["film"]["left"]["migration_percentage"] == 15.0
    # GMFCS IV with a right MP of 45% rising fast: 6-monthly review with an X-ray.
    assert result["surveillance"]["next_review"] == "2027-05-25"
    assert result["surveillance"]["xray_at_next_review"] is True
    actions = {action["action"] for action in result["surveillance"]["actions"]}
    assert {"refer-for-orthopaedic-review", "surgery-usually-considered"} <= actions
    assert result["change_since_last_film"]["left"]["within_measurement_error"] is True
    assert result["change_since_last_film"]["right"]["within_measurement_error"] is False


def test_demo_readable_output_names_the_review_and_its_rules() -> None:
    status, out, _ = _run("demo", "--today", "2026-11-25")
    assert status == 0
    assert "Next review: 2027-05-25, with an X-ray." in out
    assert "[guideline] ausacpdm-2014-refer-mp-30" in out
    assert "to be confirmed by the clinical lead" in out


def test_demo_refuses_a_bad_today_in_one_line() -> None:
    status, out, err = _run("demo", "--today", "25/11/2026")
    assert (status, out) == (2, "")
    assert err.count("\n") == 1
    assert "--today" in err


def test_demo_runs_as_the_installed_console_script() -> None:
    script = Path(sys.executable).with_name("hipcare")
    completed = subprocess.run(
        [str(script), "demo"], capture_output=True, text=True, check=False, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert "Next review:" in completed.stdout
