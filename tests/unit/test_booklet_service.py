"""The booklet view model: key dates, checklist by phase, labels for every owner and repeat."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hipcare.bootstrap import load_content
from hipcare.content.booklet import load_booklet_text
from hipcare.content.i18n import translator
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.pathway import Owner, Procedure, Recurrence
from hipcare.services.booklet import booklet_format, build_booklet_view
from hipcare.services.pathway import parse_facts

CONTENT = load_content()

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PRINTED_ON = datetime.date(2026, 11, 25)


def _facts_data(name: str = "facts_both_dega_nwb.json") -> dict[str, object]:
    data: dict[str, object] = json.loads((FIXTURES / name).read_text("utf-8"))
    return data


def test_every_owner_recurrence_and_procedure_has_a_family_label() -> None:
    text = load_booklet_text()
    assert {o.value for o in Owner} <= set(text.owners)
    assert {r.value for r in Recurrence} <= set(text.recurrences)
    assert {p.value for p in Procedure} <= set(text.procedures)


def test_key_dates_are_operation_discharge_xray_and_plate_review_in_order() -> None:
    view = build_booklet_view(
        parse_facts(_facts_data(), content=CONTENT), translator("en"), PRINTED_ON, content=CONTENT
    )
    assert [(k.label, k.date_iso) for k in view.key_dates] == [
        ("Operation day", "2027-05-17"),
        ("Planned day to go home (it may change)", "2027-05-24"),
        ("X-ray after the operation", "2027-06-28"),
        ("Check-up about the plate and screws", "2029-05-16"),
    ]


def test_an_earlier_admission_day_is_a_key_date() -> None:
    data = _facts_data() | {"admission_date": "2027-05-16"}
    view = build_booklet_view(
        parse_facts(data, content=CONTENT), translator("en"), PRINTED_ON, content=CONTENT
    )
    assert view.key_dates[0].label == "Day to come to hospital"
    assert view.key_dates[0].date_iso == "2027-05-16"


def test_checklist_follows_the_phases_and_marks_local_protocol_timing() -> None:
    view = build_booklet_view(
        parse_facts(_facts_data(), content=CONTENT), translator("en"), PRINTED_ON, content=CONTENT
    )
    assert [p.phase_id for p in view.phases] == [
        "decision",
        "preparing",
        "hospital",
        "going-home",
        "recovery",
        "follow-up",
    ]
    entries = {e.item_id: e for p in view.phases for e in p.entries}
    assert entries["plate-removal-review"].to_confirm is False
    assert entries["postop-xray"].to_confirm is True
    assert "positioning-device" in entries
    assert "seating-adjustment" not in entries


def test_recurring_steps_say_how_often_and_until_when() -> None:
    view = build_booklet_view(
        parse_facts(_facts_data(), content=CONTENT), translator("en"), PRINTED_ON, content=CONTENT
    )
    skin = next(e for p in view.phases for e in p.entries if e.item_id == "skin-check")
    assert skin.repeats == "Every day, until 28 June 2027"


def test_intro_names_the_site_or_says_nothing_of_it() -> None:
    with_site = build_booklet_view(
        parse_facts(_facts_data(), content=CONTENT), translator("en"), PRINTED_ON, content=CONTENT
    )
    assert "Northern Regional Kids Health" in with_site.intro
    data = _facts_data()
    del data["site"]
    without = build_booklet_view(
        parse_facts(data, content=CONTENT), translator("en"), PRINTED_ON, content=CONTENT
    )
    assert without.contacts == ()
    assert without.contacts_note.startswith("Ask your hospital for the phone numbers")
    assert "at " not in without.intro.split("on 17 May 2027")[1]


def test_english_booklet_has_no_english_echo_of_the_review_status() -> None:
    english = build_booklet_view(
        parse_facts(_facts_data(), content=CONTENT), translator("en"), PRINTED_ON, content=CONTENT
    )
    arabic = build_booklet_view(
        parse_facts(_facts_data(), content=CONTENT), translator("ar"), PRINTED_ON, content=CONTENT
    )
    assert english.reviewed_status.startswith("Clinically reviewed: no.")
    assert english.reviewed_status_english == ""
    assert arabic.reviewed_status_english.startswith("Clinically reviewed: no.")


@pytest.mark.parametrize(
    ("output", "expected"),
    [("b.pdf", "pdf"), ("B.PDF", "pdf"), ("x/b.html", "html"), ("b.htm", "html")],
)
def test_format_comes_from_the_extension(output: str, expected: str) -> None:
    assert booklet_format(output) == expected


@pytest.mark.parametrize("output", ["b.docx", "b", "b.pdf.txt"])
def test_other_extensions_are_refused(output: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        booklet_format(output)
    assert caught.value.field == "output"


@settings(max_examples=25, deadline=None)
@given(
    surgery=st.dates(min_value=datetime.date(2025, 1, 1), max_value=datetime.date(2035, 12, 31)),
    code=st.sampled_from(["en", "ar", "zh-Hant", "fa"]),
)
def test_every_checklist_date_is_printed_from_its_own_iso_date(
    surgery: datetime.date, code: str
) -> None:
    words = translator(code)
    data = _facts_data() | {"surgery_date": surgery.isoformat()}
    view = build_booklet_view(
        parse_facts(data, content=CONTENT), words, PRINTED_ON, content=CONTENT
    )
    for phase in view.phases:
        dates = [e.date_iso for e in phase.entries]
        assert dates == sorted(dates)
    for phase in view.phases:
        for entry in phase.entries:
            day = datetime.date.fromisoformat(entry.date_iso)
            # Information is read, not done on a day: it prints no date (issue 17).
            assert entry.date_text == ("" if entry.information else words.format_date(day))
    assert view.key_dates[0].date_iso == surgery.isoformat()
