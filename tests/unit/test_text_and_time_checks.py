"""The domain's checks on free text and moments in time: control characters are refused (tabs
and line breaks only where text may span lines), a moment that cannot be held in UTC is an
input error, and a dose of medicine is dated near the diary entry that records it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hipcare.domain.diary import (
    DiaryEntry,
    MedicineGiven,
    NumericPain,
    SkinCheck,
    SkinFinding,
    Unwell,
)
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import (
    Child,
    EntityType,
    ExternalIdentifier,
    FamilyContact,
    Role,
    Site,
    User,
    name_search_key,
    refuse_control_characters,
    utc_moment,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CONTROL = st.sampled_from([chr(code) for code in range(0x20)] + ["\x7f"])
NOT_MULTILINE = CONTROL.filter(lambda char: char not in "\t\n\r")


def _child(**changes: object) -> Child:
    values: dict[str, object] = {
        "given_name": "Ngoc Anh",
        "family_name": "Nguyen",
        "date_of_birth": date(2022, 5, 14),
        "site_id": "harbour-childrens",
    }
    values.update(changes)
    return Child(**values)  # type: ignore[arg-type]  # the values under test


# --- control characters --------------------------------------------------------------------


@given(char=CONTROL)
def test_a_name_with_any_control_character_is_refused_naming_the_field(char: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        _child(given_name=f"Ngoc{char}Anh")
    assert refused.value.field == "child.given_name"
    assert f"U+{ord(char):04X}" in refused.value.problem


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: _child(family_name="Ng\x00uyen"), "child.family_name"),
        (lambda: Site("harbour-childrens", "Harbour\x00"), "site.name"),
        (lambda: User("a@example.org", "A\x00", Role.FAMILY, None), "user.display_name"),
        (lambda: User("a\x00b@example.org", "A", Role.FAMILY, None), "user.email"),
        (lambda: FamilyContact("Lan\x00", "mother", phone="0400 555 001"), "contact.name"),
        (lambda: FamilyContact("Lan", "mo\x00ther", phone="0400 555 001"), "contact.relationship"),
        (lambda: ExternalIdentifier(EntityType.CHILD, 1, "urn:x", "a\x00"), "identifier.value"),
        (lambda: SkinCheck(SkinFinding.RED_FADES, "hip\x00"), "skin_where"),
        (lambda: MedicineGiven(NOW, "parac\x00etamol"), "medicine"),
    ],
)
def test_a_nul_is_refused_in_every_free_text_field(make: object, field: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        make()  # type: ignore[operator]  # a lambda
    assert refused.value.field == field


def test_a_name_with_a_line_break_is_refused_not_folded() -> None:
    """A name is one line: a tab or a line break in it is a mistake (pasted text)."""
    for char in "\t\n\r":
        with pytest.raises(InvalidInputError):
            _child(given_name=f"Ngoc{char}Anh")


def test_ordinary_names_are_still_accepted_and_spaces_folded() -> None:
    child = _child(given_name="  Ngọc   Anh ", family_name="Nguyễn-O'Brien")
    assert child.given_name == "Ngọc Anh"
    assert child.family_name == "Nguyễn-O'Brien"


@given(char=NOT_MULTILINE)
def test_a_diary_note_refuses_control_characters_but_line_breaks(char: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        DiaryEntry(1, NOW, NumericPain(3), note=f"slept{char}badly")
    assert refused.value.field == "note"


def test_a_diary_note_and_an_unwell_description_may_span_lines() -> None:
    entry = DiaryEntry(1, NOW, Unwell("fever\r\nsince\tlast night"), note="a\nb")
    assert entry.note == "a b"
    assert isinstance(entry.measure, Unwell)
    assert entry.measure.description == "fever since last night"


def test_refuse_control_characters_accepts_plain_and_multiline_text() -> None:
    refuse_control_characters("Nguyễn Thị ✓", "name")
    refuse_control_characters("one\r\ntwo\tthree", "note", multiline=True)
    with pytest.raises(InvalidInputError, match=r"U\+007F"):
        refuse_control_characters("del\x7f", "note", multiline=True)


# --- moments that do not fit in UTC --------------------------------------------------------


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=1))),
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_a_moment_outside_utc_is_an_input_error(moment: datetime) -> None:
    with pytest.raises(InvalidInputError) as refused:
        utc_moment(moment, "visit.taken_at")
    assert refused.value.field == "visit.taken_at"
    with pytest.raises(InvalidInputError) as medicine:
        MedicineGiven(moment, "paracetamol")
    assert medicine.value.field == "given_at"


# --- when a dose was given -----------------------------------------------------------------


def test_a_dose_dated_after_its_entry_is_refused_beyond_five_minutes() -> None:
    DiaryEntry(1, NOW, MedicineGiven(NOW + timedelta(minutes=5), "paracetamol"))
    with pytest.raises(InvalidInputError, match="in the future") as refused:
        DiaryEntry(1, NOW, MedicineGiven(NOW + timedelta(minutes=6), "paracetamol"))
    assert refused.value.field == "given_at"


def test_a_dose_dated_more_than_31_days_before_its_entry_is_refused() -> None:
    DiaryEntry(1, NOW, MedicineGiven(NOW - timedelta(days=31), "paracetamol"))
    with pytest.raises(InvalidInputError, match="31 days") as refused:
        DiaryEntry(1, NOW, MedicineGiven(NOW - timedelta(days=31, seconds=1), "paracetamol"))
    assert refused.value.field == "given_at"
    with pytest.raises(InvalidInputError):
        DiaryEntry(1, NOW, MedicineGiven(datetime(1, 1, 1, 0, 30, tzinfo=UTC), "paracetamol"))


def test_a_control_character_in_a_searched_name_counts_as_a_space() -> None:
    assert name_search_key("Ngọc\x00Anh\x7f") == "ngoc anh"
