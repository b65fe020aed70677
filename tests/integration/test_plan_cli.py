"""``hipcare plan`` and ``hipcare calendar`` run as a person would run them."""

from __future__ import annotations

import datetime
import io
import json
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from hipcare.cli import main
from hipcare.cli.command_io import CommandIO

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DEMO = FIXTURES / "facts_demo.json"
DEGA = FIXTURES / "facts_both_dega_nwb.json"
SURGEON = FIXTURES / "facts_surgeon_defaults.json"
HIPCARE = Path(sys.executable).parent / "hipcare"


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), {}, io=CommandIO(io.StringIO(stdin), out, err, {}))
    return status, out.getvalue(), err.getvalue()


def write_facts(tmp_path: Path, **changes: Any) -> Path:
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_plan_json_has_the_contract_keys_for_every_item() -> None:
    status, out, err = run("plan", "--facts", str(DEMO), "--json")
    assert (status, err) == (0, "")
    items = json.loads(out)["items"]
    assert items
    for item in items:
        assert {"id", "phase", "date", "recurrence", "owner", "text"} <= item.keys()
        datetime.date.fromisoformat(item["date"])
    by_id = {item["id"]: item for item in items}
    assert by_id["expected-length-of-stay"]["date"] == "2027-03-01"
    assert by_id["skin-check"]["recurrence"] == "daily"
    assert by_id["notify-parent-work"]["recurrence"] is None
    assert "1 March 2027" in by_id["notify-parent-work"]["text"]
    assert not [item["id"] for item in items if "{" in item["text"] or "}" in item["text"]]


def test_plan_json_follows_the_facts() -> None:
    status, out, _ = run("plan", "--facts", str(DEGA), "--json")
    assert status == 0
    ids = {item["id"] for item in json.loads(out)["items"]}
    assert {"join-therapy-waiting-list", "dega-combined", "positioning-device"} <= ids
    assert "seating-adjustment" not in ids
    assert "notify-local-therapists" not in ids


def test_plan_text_groups_items_under_phase_titles_and_marks_local_protocol() -> None:
    status, out, _ = run("plan", "--facts", str(DEMO))
    assert status == 0
    assert out.index("== Deciding about the operation ==") < out.index("== Going home ==")
    assert "Check-ups after the operation" in out
    assert "The clinical lead still needs to confirm it." in out
    assert "examples only" in out


def test_plan_reads_facts_from_standard_input() -> None:
    status, out, _ = run("plan", "--facts", "-", "--json", stdin=DEMO.read_text("utf-8"))
    assert status == 0
    assert json.loads(out)["surgery_date"] == "2027-03-01"


def test_plan_in_another_language_formats_dates_in_that_language() -> None:
    status, out, _ = run("plan", "--facts", str(DEMO), "--json", "--lang", "zh-Hans")
    assert status == 0
    document = json.loads(out)
    assert document["language"] == "zh-Hans"
    work = next(i for i in document["items"] if i["id"] == "notify-parent-work")
    assert "2027年3月1日" in work["text"]


def test_plan_uses_the_surgeons_defaults_when_facts_leave_them_out() -> None:
    status, out, _ = run("plan", "--facts", str(SURGEON), "--json", "--lang", "en")
    assert status == 0
    document = json.loads(out)
    assert document["weight_bearing"] == "non-weight-bearing"
    assert document["positioning_device"] is True


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"surgery_dtae": "2027-03-01"}, "surgery_dtae"),
        ({"surgery_date": "01/03/2027"}, "surgery_date"),
        ({"surgery_date": "2027-02-30"}, "surgery_date"),
        ({"surgery_date": None}, "surgery_date"),
        ({"wheelchair_user": "yes"}, "wheelchair_user"),
        ({"procedures": ["dega"]}, "procedures"),
        ({"procedures": "vdro"}, "procedures"),
        ({"sides": "middle"}, "sides"),
        ({"site": "nowhere"}, "site"),
        ({"surgeon": "dr-who"}, "surgeon"),
        ({"language": "xx"}, "language"),
        ({"weight_bearing": None, "surgeon": None}, "weight_bearing"),
        ({"expected_stay_days": "7"}, "expected_stay_days"),
    ],
)
def test_bad_facts_exit_2_with_one_line_naming_the_field(
    tmp_path: Path, changes: dict[str, Any], field: str
) -> None:
    status, out, err = run("plan", "--facts", str(write_facts(tmp_path, **changes)))
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"hipcare plan: error: {field}:")


def test_unknown_language_option_exits_2(tmp_path: Path) -> None:
    status, _, err = run("plan", "--facts", str(DEMO), "--lang", "klingon")
    assert status == 2
    assert err.startswith("hipcare plan: error: lang:")


def test_facts_that_are_not_an_object_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text("[1, 2]", encoding="utf-8")
    status, _, err = run("plan", "--facts", str(path))
    assert (status, err.count("\n")) == (2, 1)
    assert "facts:" in err


# ------------------------------------------------------------------ calendar


def read_calendar(path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # vobject 0.9.9 imports a module that warns on 3.12+
        import vobject
    return vobject.readOne(path.read_text(encoding="utf-8"))


def test_calendar_has_one_all_day_event_per_plan_item(tmp_path: Path) -> None:
    """One event per task; information is read, not put on a day (issue 17)."""
    output = tmp_path / "plan.ics"
    status, _, err = run("calendar", "--facts", str(DEMO), "--output", str(output))
    assert (status, err) == (0, "")
    calendar = read_calendar(output)
    _, plan_out, _ = run("plan", "--facts", str(DEMO), "--json")
    every = json.loads(plan_out)["items"]
    items = {item["id"]: item for item in every if item["kind"] == "task"}
    assert any(item["kind"] == "information" for item in every)
    events = calendar.vevent_list
    assert len(events) == len(items)
    assert calendar.version.value == "2.0"
    assert "hipcare" in calendar.prodid.value
    starts = sorted(e.dtstart.value for e in events)
    assert all(type(day) is datetime.date for day in starts)  # all-day: dates, not times
    assert starts == sorted(datetime.date.fromisoformat(i["date"]) for i in items.values())
    uids = [e.uid.value for e in events]
    assert len(set(uids)) == len(uids)
    assert all(e.dtstamp.value.tzinfo is not None for e in events)


def test_calendar_repeats_recurring_items_until_their_end(tmp_path: Path) -> None:
    output = tmp_path / "plan.ics"
    run("calendar", "--facts", str(DEMO), "--output", str(output))
    events = read_calendar(output).vevent_list
    skin = next(e for e in events if e.summary.value == "Check the skin")
    occurrences = list(skin.getrruleset())
    assert occurrences[0].date() == datetime.date(2027, 3, 8)
    assert occurrences[-1].date() == datetime.date(2027, 4, 12)
    assert len(occurrences) == 36
    assert "red areas" in skin.description.value


def test_calendar_uids_survive_postponement_and_dates_move(tmp_path: Path) -> None:
    first = tmp_path / "first.ics"
    later = tmp_path / "later.ics"
    run("calendar", "--facts", str(DEMO), "--output", str(first))
    postponed = write_facts(tmp_path, surgery_date="2027-04-12")
    run("calendar", "--facts", str(postponed), "--output", str(later))
    before = {e.uid.value: e.dtstart.value for e in read_calendar(first).vevent_list}
    after = {e.uid.value: e.dtstart.value for e in read_calendar(later).vevent_list}
    assert before.keys() == after.keys()
    assert {after[uid] - before[uid] for uid in before} == {datetime.timedelta(days=42)}


def test_calendar_uids_differ_between_children(tmp_path: Path) -> None:
    one, two = tmp_path / "one.ics", tmp_path / "two.ics"
    run("calendar", "--facts", str(DEMO), "--output", str(one))
    other = write_facts(tmp_path, child_ref="demo-0099")
    run("calendar", "--facts", str(other), "--output", str(two))
    first = {e.uid.value for e in read_calendar(one).vevent_list}
    second = {e.uid.value for e in read_calendar(two).vevent_list}
    assert first.isdisjoint(second)


def test_calendar_refuses_an_output_that_is_not_ics(tmp_path: Path) -> None:
    status, _, err = run("calendar", "--facts", str(DEMO), "--output", str(tmp_path / "x.pdf"))
    assert status == 2
    assert err.startswith("hipcare calendar: error: --output:")


@pytest.mark.slow
def test_console_script_prints_the_plan_and_writes_the_calendar(tmp_path: Path) -> None:
    plan = subprocess.run(
        [str(HIPCARE), "plan", "--facts", str(DEGA), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert plan.returncode == 0, plan.stderr
    assert json.loads(plan.stdout)["items"][0]["id"] == "about-this-plan"
    output = tmp_path / "plan.ics"
    calendar = subprocess.run(
        [str(HIPCARE), "calendar", "--facts", str(DEGA), "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert calendar.returncode == 0, calendar.stderr
    assert output.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    bad = subprocess.run(
        [str(HIPCARE), "plan", "--facts", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1
    assert "Traceback" not in bad.stderr
