"""Issue 17 (second pass) and issue 14 item 7: information vs tasks, no back-dating, reopening
steps that quoted the old date, the day of surgery, r-FLACC in the tool's terms, and
"my child is unwell" by phase."""

from __future__ import annotations

import datetime
import tomllib
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hipcare.content.diary import load_diary_rules
from hipcare.content.pathway import load_pathway, parse_pathway
from hipcare.content.sites import load_sites
from hipcare.domain.day_of_surgery import DayOfSurgery, DayOfSurgeryDefaults
from hipcare.domain.diary import R_FLACC_CATEGORIES, DiaryEntry, SurgeryPhase, Unwell, assess
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.pathway import CareFacts, ItemStatus, personalise, postpone
from hipcare.services.pathway import DAY_OF_SURGERY_TEXT

PATHWAY = load_pathway()
INFORMATION = PATHWAY.information_ids


def _facts(surgery: datetime.date, **changes: Any) -> CareFacts:
    base: dict[str, Any] = {
        "surgery_date": surgery,
        "sides": "left",
        "procedures": ("vdro",),
        "weight_bearing": "as-tolerated",
        "positioning_device": False,
        "wheelchair_user": False,
        "attends_school": True,
        "sees_therapists": False,
    }
    return CareFacts(**(base | changes))


def _ui() -> dict[str, str]:
    text = resources.files("hipcare.content").joinpath("family.toml").read_text("utf-8")
    ui: dict[str, str] = tomllib.loads(text)["ui"]
    return ui


def test_the_items_the_issue_names_are_information_and_the_rest_tasks() -> None:
    """The kind is data in pathway.toml: "About this plan", "Why your child needs this
    operation", "Tell us if your child gets sick" and "Signs to watch for" are read."""
    assert {
        "about-this-plan",
        "why-the-operation",
        "report-illness-before-surgery",
        "dislocation-warning-signs",
        "call-now-after-surgery",
    } <= INFORMATION
    assert {"notify-school", "skin-check", "postop-xray", "join-therapy-waiting-list"}.isdisjoint(
        INFORMATION
    )


def test_information_items_carry_no_timing_note() -> None:
    plan = personalise(PATHWAY, _facts(datetime.date(2027, 3, 1)))
    for item in plan.items:
        if item.is_information:
            assert not item.to_be_confirmed
    assert any(item.to_be_confirmed for item in plan.items), "tasks still carry the note"


def test_a_pathway_item_without_a_kind_is_refused_naming_it() -> None:
    text = resources.files("hipcare.content").joinpath("pathway.toml").read_text("utf-8")
    broken = text.replace('kind = "information"\n', "", 1)
    with pytest.raises(InvalidInputError) as caught:
        parse_pathway(broken)
    assert caught.value.field == "item.about-this-plan.kind"


def test_the_unwell_advice_must_name_information_items() -> None:
    text = resources.files("hipcare.content").joinpath("pathway.toml").read_text("utf-8")
    broken = text.replace(
        'after_surgery = "call-now-after-surgery"', 'after_surgery = "skin-check"'
    )
    with pytest.raises(InvalidInputError) as caught:
        parse_pathway(broken)
    assert caught.value.field == "unwell_advice.after_surgery"


@settings(max_examples=120, deadline=None)
@given(
    st.dates(datetime.date(2025, 1, 1), datetime.date(2030, 12, 31)),
    st.integers(-30, 120),
)
def test_no_task_is_due_before_the_plan_starts(surgery: datetime.date, started_before: int) -> None:
    """A task whose computed day falls before the plan's start is due on the start day; later
    tasks and information keep their computed day."""
    starts_on = surgery - datetime.timedelta(days=started_before)
    plain = personalise(PATHWAY, _facts(surgery))
    started = personalise(PATHWAY, _facts(surgery), starts_on=starts_on)
    computed = {item.id: item for item in plain.items}
    for item in started.items:
        before = computed[item.id]
        if item.is_information:
            assert item.date == before.date
        else:
            assert item.date == max(before.date, starts_on)
            if item.until is not None:
                assert item.until >= item.date


def test_postponing_keeps_the_start_day_and_reopens_steps_that_quoted_the_old_date() -> None:
    surgery = datetime.date(2027, 3, 1)
    plan = personalise(PATHWAY, _facts(surgery), starts_on=datetime.date(2027, 1, 20))
    moved = postpone(plan, datetime.date(2027, 4, 5), {"notify-school", "arrange-family-help"})
    school = moved.item("notify-school")  # "... the operation on {surgery_date}"
    assert school.status is ItemStatus.PLANNED
    assert school.params["surgery_date"] == datetime.date(2027, 4, 5)
    assert moved.item("arrange-family-help").status is ItemStatus.DONE  # quotes no date
    earlier = postpone(plan, datetime.date(2027, 2, 1))
    assert all(
        item.date >= datetime.date(2027, 1, 20) for item in earlier.items if not item.is_information
    )


def test_site_defaults_count_the_fasting_hours_back_from_the_arrival() -> None:
    """Food 6 h, milk 6 h, clear fluids 1 h (Lerman 2013), counted from the arrival."""
    harbour = next(site for site in load_sites() if site.id == "harbour-childrens")
    assert harbour.day_of_surgery is not None
    day = harbour.day_of_surgery.day()
    assert day.arrival_time == datetime.time(7, 0)
    assert (day.food_stop_time, day.milk_stop_time) == (datetime.time(1), datetime.time(1))
    assert day.clear_fluids_stop_time == datetime.time(6, 0)
    assert day.to_be_confirmed, "defaults are local protocol"
    later = harbour.day_of_surgery.day({"arrival_time": "13:30"})
    assert later.food_stop_time == datetime.time(7, 30)
    own = harbour.day_of_surgery.day(
        {"food_stop_time": "02:00", "milk_stop_time": "03:00", "clear_fluids_stop_time": "06:30"}
    )
    assert not own.to_be_confirmed, "a clinician gave every fasting time"


def test_a_stop_time_later_than_the_arrival_is_the_evening_before() -> None:
    day = DayOfSurgery(
        arrival_time="07:00",  # type: ignore[arg-type]  # the value type parses HH:MM
        arrival_place="Admissions",
        food_stop_time="22:00",  # type: ignore[arg-type]  # the value type parses HH:MM
        milk_stop_time="02:00",  # type: ignore[arg-type]  # the value type parses HH:MM
        clear_fluids_stop_time="06:00",  # type: ignore[arg-type]  # the value type parses HH:MM
    )
    steps = dict(day.steps(datetime.date(2027, 3, 1)))
    local = datetime.datetime.combine  # naive on purpose: the site's own clock
    assert steps["food"] == local(datetime.date(2027, 2, 28), datetime.time(22))
    assert steps["milk"] == local(datetime.date(2027, 3, 1), datetime.time(2))
    assert steps["arrival"] == local(datetime.date(2027, 3, 1), datetime.time(7))
    assert [name for name, _ in day.steps(datetime.date(2027, 3, 1))][-1] == "arrival"
    assert DayOfSurgery.from_json(day.to_json()) == day


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"arrival_time": "7am"}, "arrival_time"),
        ({"food_stop_time": "24:00"}, "food_stop_time"),
        ({"arrival_place": " "}, "arrival_place"),
        ({"what_to_bring": ["ok", ""]}, "what_to_bring[1]"),
    ],
)
def test_bad_day_of_surgery_values_name_the_field(overrides: dict[str, Any], field: str) -> None:
    defaults = DayOfSurgeryDefaults(
        arrival_time=datetime.time(7),
        arrival_place="Admissions",
        food_hours_before=6,
        milk_hours_before=6,
        clear_fluids_hours_before=1,
        what_to_bring=(),
        source="test",
    )
    with pytest.raises(InvalidInputError) as caught:
        defaults.day(overrides)
    assert caught.value.field == field


def test_every_day_of_surgery_string_is_a_family_string_the_catalogs_translate() -> None:
    assert set(DAY_OF_SURGERY_TEXT.values()) <= set(_ui().values())


def test_r_flacc_has_our_own_words_for_every_category_and_score() -> None:
    ui = _ui()
    texts = [
        ui[f"rflacc_{category}_{score}"] for category in R_FLACC_CATEGORIES for score in range(3)
    ]
    assert len(set(texts)) == 15


def test_my_child_is_unwell_is_answered_by_phase() -> None:
    """Before surgery: the date may move; after it: the red flags and call now (issue 14)."""
    rules = load_diary_rules()
    entry = DiaryEntry(
        child_id=1,
        recorded_at=datetime.datetime(2027, 3, 1, 9, tzinfo=datetime.UTC),
        measure=Unwell("a fever"),
    )
    before = assess(entry, rules, SurgeryPhase.BEFORE_SURGERY)
    after = assess(entry, rules, SurgeryPhase.AFTER_SURGERY)
    assert [rule.id for rule in before.fired] == ["unwell-before-surgery"]
    assert [rule.id for rule in after.fired] == ["unwell-after-surgery"]
    assert "may need to move" in before.advice[0]
    assert "may need to move" not in after.advice[0]
    assert "Call the ward now" in after.advice[0]
    assert before.raises_alert
    assert after.raises_alert
    assert after.contact_roles[0] == "ward", "day and night after surgery"
