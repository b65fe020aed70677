"""``hipcare report`` and ``hipcare registry-export``: the printed contract and leak tests."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path

from hipcare.cli import main
from hipcare.cli.command_io import CommandIO
from hipcare.services.outcomes_demo import demo_outcomes

DAY = "2026-12-06"


def _run(argv: list[str], environ: dict[str, str] | None = None) -> tuple[int, str, str]:
    environ = environ or {}
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, environ, io=CommandIO(io.StringIO(), out, err, environ))
    return status, out.getvalue(), err.getvalue()


def test_report_demo_json_carries_the_contract_keys() -> None:
    """operations, length_of_stay_days (median, q1, q3), grades, hip_survival, coverage."""
    status, out, err = _run(["report", "--demo", "--json"])
    assert (status, err) == (0, "")
    report = json.loads(out)
    assert report["operations"] == 200
    stay = report["length_of_stay_days"]
    assert stay["q1"] <= stay["median"] <= stay["q3"]
    assert set(report["complications_by_grade"]) == {"I", "II", "III", "IVa", "IVb", "V"}
    assert report["hip_survival"]
    for point in report["hip_survival"]:
        assert set(point) == {"procedure", "years", "survival", "lower", "upper"}
        assert 0 <= point["lower"] <= point["survival"] <= point["upper"] <= 1
    assert {point["procedure"] for point in report["hip_survival"]} == {
        "vdro-alone",
        "vdro-with-pelvic-osteotomy",
    }
    coverage = report["surveillance_coverage"]
    assert set(coverage) == {"III", "IV", "V", "III-V"}
    assert 0 < coverage["III-V"]["share"] <= 1


def test_report_demo_is_the_same_for_the_same_seed_and_day() -> None:
    first = _run(["report", "--demo", "--json", "--date", DAY, "--seed", "4"])
    assert first == _run(["report", "--demo", "--json", "--date", DAY, "--seed", "4"])


def test_report_as_text_names_no_child_and_flags_local_protocol() -> None:
    status, out, _ = _run(["report", "--demo", "--date", DAY])
    assert status == 0
    assert "hip survival (Kaplan-Meier, 95% confidence band)" in out
    assert "to be confirmed by the clinical lead" in out
    for identity in demo_outcomes(today=date.fromisoformat(DAY)).identities[:50]:
        assert identity.family_name not in out


def test_registry_export_demo_leaks_no_name_date_number_or_email(tmp_path: Path) -> None:
    """No demo child's names, birth date, hospital number or email; no ISO date at all."""
    output = tmp_path / "export"
    status, out, err = _run(["registry-export", "--demo", "--date", DAY, "--output", str(output)])
    assert (status, err) == (0, "")
    assert "wrote 5 CSV files" in out
    names = sorted(path.name for path in output.iterdir())
    assert names == [
        "children.csv",
        "complications.csv",
        "data_dictionary.csv",
        "hips.csv",
        "operations.csv",
    ]
    text = "\n".join(path.read_text("utf-8") for path in output.iterdir()).casefold()
    identities = demo_outcomes(today=date.fromisoformat(DAY)).identities
    assert len(identities) > 300
    for identity in identities:
        for secret in (
            identity.given_name,
            identity.family_name,
            identity.hospital_number,
            identity.contact_email,
            identity.date_of_birth.isoformat(),
            identity.date_of_birth.strftime("%d/%m/%Y"),
        ):
            assert secret.casefold() not in text
    assert re.search(r"\d{4}-\d{2}-\d{2}", text) is None
    assert "@" not in text
    with (output / "operations.csv").open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 200
    assert all(row["age_at_surgery_months"].isdigit() for row in rows)


def test_registry_export_draws_new_child_keys_every_time(tmp_path: Path) -> None:
    keys = []
    for name in ("a", "b"):
        _run(["registry-export", "--demo", "--date", DAY, "--output", str(tmp_path / name)])
        with (tmp_path / name / "children.csv").open(encoding="utf-8") as stream:
            keys.append({row["child_key"] for row in csv.DictReader(stream)})
    assert len(keys[0]) == 350
    assert keys[0].isdisjoint(keys[1])


def test_data_dictionary_describes_every_column(tmp_path: Path) -> None:
    _run(["registry-export", "--demo", "--date", DAY, "--output", str(tmp_path / "o")])
    with (tmp_path / "o" / "data_dictionary.csv").open(encoding="utf-8") as stream:
        described = {(row["file"], row["column"]) for row in csv.DictReader(stream)}
    for path in (tmp_path / "o").glob("*.csv"):
        if path.name == "data_dictionary.csv":
            continue
        with path.open(encoding="utf-8") as stream:
            header = next(csv.reader(stream))
        assert {(path.name, column) for column in header} <= described


def test_bad_input_is_one_line_and_exit_two(tmp_path: Path) -> None:
    status, _, err = _run(["report", "--demo", "--date", "06/12/2026"])
    assert status == 2
    assert err.startswith("hipcare report: error: --date:")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    status, _, err = _run(["registry-export", "--demo", "--output", str(tmp_path / "full")])
    assert status == 2
    assert "--output" in err
    assert err.count("\n") == 1


def test_report_charts_are_svg_png_and_pdf(tmp_path: Path) -> None:
    """--charts writes both SVG charts, a PNG and a PDF (typst), and refuses a full folder."""
    folder = tmp_path / "charts"
    status, _, err = _run(["report", "--demo", "--date", DAY, "--charts", str(folder)])
    assert (status, err) == (0, "")
    assert sorted(path.name for path in folder.iterdir()) == [
        "hip_survival.png",
        "hip_survival.svg",
        "migration_percentage.svg",
        "report.pdf",
    ]
    assert (folder / "hip_survival.png").read_bytes().startswith(b"\x89PNG")
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")
    status, _, err = _run(["report", "--demo", "--charts", str(folder)])
    assert status == 2
    assert err.startswith("hipcare report: error: --charts:")
