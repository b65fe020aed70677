"""What families read after surgery (issue 14, item 7): red flags to call now, pain medicine as
prescribed, the signs of a dislocating hip with "why this operation", unwell by phase."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from hipcare.bootstrap import load_content
from hipcare.content.i18n import LANGUAGES
from hipcare.content.i18n import translator as shipped_translator
from hipcare.domain.booklet import BookletView
from hipcare.services.booklet import build_booklet_view
from hipcare.services.pathway import parse_facts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PRINTED_ON = datetime.date(2026, 11, 25)


CONTENT = load_content()


def _view(code: str = "en") -> BookletView:
    facts = parse_facts(
        json.loads((FIXTURES / "facts_demo.json").read_text("utf-8")), content=CONTENT
    )
    return build_booklet_view(facts, shipped_translator(code), PRINTED_ON, content=CONTENT)


def _entry_phase(view: BookletView, item_id: str) -> str:
    return next(
        phase.phase_id
        for phase in view.phases
        for entry in phase.entries
        if entry.item_id == item_id
    )


def test_warning_signs_tell_the_family_to_call_now_for_each_red_flag_after_surgery() -> None:
    """Fever, wound, uncontrolled pain, a possible fracture, the foot, the cast or brace."""
    view = _view()
    assert view.warning_after_surgery_intro.startswith("Call the ward or the orthopaedic nurse now")
    signs = " ".join(view.warning_after_surgery).lower()
    for words in ("fever", "wound", "pain medicine does not settle", "broken", "foot", "cast"):
        assert words in signs
    assert _entry_phase(view, "call-now-after-surgery") == "going-home"


def test_pain_medicine_before_care_is_as_prescribed_and_never_over_the_daily_limit() -> None:
    view = _view()
    entry = next(
        entry
        for phase in view.phases
        for entry in phase.entries
        if entry.item_id == "pain-medicine-before-care"
    )
    assert "dose and times your team prescribed" in entry.text
    assert "Never give more than the daily limit" in entry.text


def test_signs_of_a_dislocating_hip_are_with_why_this_operation_not_an_alarm_after_discharge() -> (
    None
):
    view = _view()
    assert _entry_phase(view, "dislocation-warning-signs") == "decision"
    assert "One leg looks shorter than the other." not in view.warning_after_surgery


def test_my_child_is_unwell_is_answered_for_before_and_after_surgery() -> None:
    view = _view()
    assert view.warning_sick_before_surgery.startswith("Before the operation")
    assert view.warning_sick_after_surgery.startswith("After the operation")


@pytest.mark.parametrize("code", [code for code in LANGUAGES if code != "en"])
def test_every_language_translates_the_red_flags(code: str) -> None:
    """No red flag falls back to English in a translated booklet."""
    english, translated = _view(), _view(code)
    assert translated.fallback_count == 0
    assert set(translated.warning_after_surgery).isdisjoint(english.warning_after_surgery)
    assert translated.warning_sick_after_surgery != english.warning_sick_after_surgery
