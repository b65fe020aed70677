"""The pure pathway engine: facts validation, which items apply, dating, postponing."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hipcare.content.pathway import load_pathway, surgeon_by_id
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.pathway import (
    Anchor,
    CareFacts,
    CarePlan,
    ItemStatus,
    Pathway,
    Procedure,
    Recurrence,
    SurgeonPreferences,
    WeightBearing,
    personalise,
    postpone,
)

PATHWAY = load_pathway()


def facts(**changes: Any) -> CareFacts:
    base: dict[str, Any] = {
        "surgery_date": datetime.date(2027, 3, 1),
        "sides": "left",
        "procedures": ("vdro",),
        "weight_bearing": "as-tolerated",
        "positioning_device": False,
        "wheelchair_user": False,
        "attends_school": False,
        "sees_therapists": True,
    }
    base.update(changes)
    return CareFacts(**base)


def ids(plan: CarePlan) -> set[str]:
    return {item.id for item in plan.items}


# ------------------------------------------------------------------ facts


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"procedures": ("dega",)}, "procedures"),
        ({"procedures": ("vdro", "vdro")}, "procedures"),
        ({"procedures": ("vdro", "knee-scope")}, "procedures[1]"),
        ({"procedures": "vdro"}, "procedures"),
        ({"sides": "middle"}, "sides"),
        ({"weight_bearing": "some"}, "weight_bearing"),
        ({"wheelchair_user": "yes"}, "wheelchair_user"),
        ({"positioning_device": 1}, "positioning_device"),
        ({"surgery_date": "2027-03-01"}, "surgery_date"),
        ({"admission_date": datetime.date(2027, 3, 2)}, "admission_date"),
        ({"admission_date": datetime.date(2027, 2, 1)}, "admission_date"),
        ({"expected_stay_days": 0}, "expected_stay_days"),
        ({"expected_stay_days": True}, "expected_stay_days"),
        ({"site": "Harbour Hospital"}, "site"),
        ({"child_ref": "Jane Citizen"}, "child_ref"),
    ],
)
def test_care_facts_refuse_bad_values_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        facts(**changes)
    assert caught.value.field == field


def test_weight_bearing_is_required_when_no_surgeon_is_named() -> None:
    with pytest.raises(InvalidInputError) as caught:
        personalise(PATHWAY, facts(weight_bearing=None))
    assert caught.value.field == "weight_bearing"


def test_positioning_device_is_required_when_no_surgeon_is_named() -> None:
    with pytest.raises(InvalidInputError) as caught:
        personalise(PATHWAY, facts(positioning_device=None))
    assert caught.value.field == "positioning_device"


def test_named_surgeon_needs_their_preferences() -> None:
    with pytest.raises(InvalidInputError) as caught:
        personalise(PATHWAY, facts(surgeon="dr-lee"))
    assert caught.value.field == "surgeon"


def test_surgeon_at_another_site_is_refused() -> None:
    child = facts(surgeon="dr-nguyen", site="harbour-childrens")
    with pytest.raises(InvalidInputError) as caught:
        personalise(PATHWAY, child, surgeon=surgeon_by_id("dr-nguyen"))
    assert caught.value.field == "surgeon"


# ------------------------------------------------------------------ surgeon preferences


def test_surgeon_default_fills_weight_bearing_and_device_left_out() -> None:
    child = facts(weight_bearing=None, positioning_device=None, surgeon="dr-okafor")
    plan = personalise(PATHWAY, child, surgeon=surgeon_by_id("dr-okafor"))
    assert plan.weight_bearing is WeightBearing.NON_WEIGHT_BEARING
    assert plan.positioning_device is True
    assert plan.expected_stay_days == 6
    assert plan.discharge_date == datetime.date(2027, 3, 7)


def test_surgeon_rule_for_dega_overrides_their_default() -> None:
    child = facts(
        weight_bearing=None, positioning_device=None, surgeon="dr-lee", procedures=("vdro", "dega")
    )
    plan = personalise(PATHWAY, child, surgeon=surgeon_by_id("dr-lee"))
    assert plan.weight_bearing is WeightBearing.NON_WEIGHT_BEARING
    assert plan.positioning_device is True
    assert "dega-combined" in ids(plan)


def test_facts_win_over_surgeon_preferences() -> None:
    child = facts(surgeon="dr-lee", procedures=("vdro", "dega"))
    plan = personalise(PATHWAY, child, surgeon=surgeon_by_id("dr-lee"))
    assert plan.weight_bearing is WeightBearing.AS_TOLERATED
    assert plan.positioning_device is False


# ------------------------------------------------------------------ which items apply


def test_waiting_list_only_for_children_without_therapists() -> None:
    without = personalise(PATHWAY, facts(sees_therapists=False))
    with_therapists = personalise(PATHWAY, facts(sees_therapists=True))
    assert "join-therapy-waiting-list" in ids(without)
    assert "notify-local-therapists" not in ids(without)
    assert "join-therapy-waiting-list" not in ids(with_therapists)
    assert "notify-local-therapists" in ids(with_therapists)


def test_school_item_only_when_the_child_attends_school_or_childcare() -> None:
    assert "notify-school" in ids(personalise(PATHWAY, facts(attends_school=True)))
    assert "notify-school" not in ids(personalise(PATHWAY, facts(attends_school=False)))


def test_seating_adjustment_only_for_wheelchair_users() -> None:
    assert "seating-adjustment" in ids(personalise(PATHWAY, facts(wheelchair_user=True)))
    assert "seating-adjustment" not in ids(personalise(PATHWAY, facts(wheelchair_user=False)))


def test_positioning_device_item_only_when_one_is_used() -> None:
    assert "positioning-device" in ids(personalise(PATHWAY, facts(positioning_device=True)))
    assert "positioning-device" not in ids(personalise(PATHWAY, facts(positioning_device=False)))


def test_weight_bearing_text_follows_the_plan() -> None:
    standing = personalise(PATHWAY, facts(weight_bearing="as-tolerated")).item("weight-bearing")
    resting = personalise(PATHWAY, facts(weight_bearing="non-weight-bearing")).item(
        "weight-bearing"
    )
    assert "straight away" in standing.msgid
    assert "must not put any weight" in resting.msgid


def test_equipment_lists_wheelchair_commode_and_device_as_applicable() -> None:
    walker = personalise(PATHWAY, facts(wheelchair_user=False, positioning_device=True))
    wheeler = personalise(PATHWAY, facts(wheelchair_user=True, positioning_device=False))
    walker_bullets = " ".join(walker.item("prepare-equipment").bullet_msgids)
    wheeler_bullets = " ".join(wheeler.item("prepare-equipment").bullet_msgids)
    assert "wheelchair" in walker_bullets
    assert "positioning device" in walker_bullets
    assert "commode" in walker_bullets
    assert "commode" in wheeler_bullets
    assert "wheelchair" not in wheeler_bullets
    assert "positioning device" not in wheeler_bullets


def test_dega_item_only_when_dega_is_done() -> None:
    assert "dega-combined" in ids(personalise(PATHWAY, facts(procedures=("vdro", "dega"))))
    assert "dega-combined" not in ids(personalise(PATHWAY, facts()))


def test_site_name_is_a_parameter_only_when_the_site_is_known() -> None:
    named = personalise(PATHWAY, facts(), site_name="Harbour Children's Hospital")
    unnamed = personalise(PATHWAY, facts())
    assert named.item("about-this-plan").params == {"site_name": "Harbour Children's Hospital"}
    assert "{site_name}" not in unnamed.item("about-this-plan").msgid


# ------------------------------------------------------------------ dating


def test_default_discharge_is_the_upper_end_of_five_to_seven_days() -> None:
    plan = personalise(PATHWAY, facts())
    assert plan.expected_stay_days == 7
    assert not plan.stay_planned
    assert plan.discharge_date == datetime.date(2027, 3, 8)
    assert "5 to 7 days" in plan.item("expected-length-of-stay").msgid


def test_planned_stay_changes_discharge_and_wording() -> None:
    plan = personalise(PATHWAY, facts(expected_stay_days=5))
    stay = plan.item("expected-length-of-stay")
    assert plan.discharge_date == datetime.date(2027, 3, 6)
    assert stay.params == {"stay_days": 5, "discharge_date": datetime.date(2027, 3, 6)}


def test_plate_removal_review_is_about_two_years_after_surgery() -> None:
    plan = personalise(PATHWAY, facts())
    assert plan.item("plate-removal-review").date == datetime.date(2029, 2, 28)


def test_admission_day_defaults_to_surgery_day_and_can_be_earlier() -> None:
    assert personalise(PATHWAY, facts()).admission_date == datetime.date(2027, 3, 1)
    early = personalise(PATHWAY, facts(admission_date=datetime.date(2027, 2, 28)))
    assert early.item("expected-length-of-stay").date == datetime.date(2027, 2, 28)


@st.composite
def fact_sets(draw: st.DrawFn) -> CareFacts:
    surgery = draw(st.dates(datetime.date(2020, 1, 1), datetime.date(2040, 12, 31)))
    extra = draw(
        st.lists(st.sampled_from([p for p in Procedure if p is not Procedure.VDRO]), unique=True)
    )
    return facts(
        surgery_date=surgery,
        sides=draw(st.sampled_from(["left", "right", "both"])),
        procedures=(Procedure.VDRO, *extra),
        weight_bearing=draw(st.sampled_from(list(WeightBearing))),
        positioning_device=draw(st.booleans()),
        wheelchair_user=draw(st.booleans()),
        attends_school=draw(st.booleans()),
        sees_therapists=draw(st.booleans()),
        admission_date=surgery - datetime.timedelta(days=draw(st.integers(0, 3))),
        expected_stay_days=draw(st.none() | st.integers(1, 30)),
    )


def _anchor_dates(plan: CarePlan) -> dict[Anchor, datetime.date]:
    return dict(plan.anchors)


@settings(max_examples=150, deadline=None)
@given(fact_sets())
def test_every_item_is_dated_anchor_plus_offset(child: CareFacts) -> None:
    plan = personalise(PATHWAY, child)
    anchors = _anchor_dates(plan)
    for item in plan.items:
        definition = PATHWAY.item(item.id)
        start = definition.when.start
        assert item.date == anchors[start.anchor] + datetime.timedelta(days=start.offset_days)
        if definition.when.until is not None:
            end = definition.when.until
            assert item.until == anchors[end.anchor] + datetime.timedelta(days=end.offset_days)
            assert item.until >= item.date
            assert item.recurrence is not None


@settings(max_examples=150, deadline=None)
@given(fact_sets())
def test_plan_items_are_in_date_order_and_each_has_its_placeholders(child: CareFacts) -> None:
    plan = personalise(PATHWAY, child)
    dates = [item.date for item in plan.items]
    assert dates == sorted(dates)
    for item in plan.items:
        for text in (item.msgid, *item.bullet_msgids):
            text.format(**item.params)  # raises KeyError if a placeholder has no value


@settings(max_examples=150, deadline=None)
@given(
    fact_sets(),
    st.integers(-60, 400),
    st.sets(st.sampled_from([item.id for item in PATHWAY.items]), max_size=6),
)
def test_postponing_shifts_every_open_item_and_keeps_done_ones(
    child: CareFacts, shift_days: int, done_candidates: set[str]
) -> None:
    """Done items stay done, except those whose text quoted a plan date: reopened, re-dated."""
    plan = personalise(PATHWAY, child)
    done = done_candidates & {item.id for item in plan.items}
    shift = datetime.timedelta(days=shift_days)
    moved = postpone(plan, plan.surgery_date + shift, done)
    before = {item.id: item for item in plan.items}
    assert moved.surgery_date == plan.surgery_date + shift
    assert {item.id for item in moved.items} == set(before)
    for item in moved.items:
        old = before[item.id]
        if item.id in done and not old.names_a_date:
            assert item.status is ItemStatus.DONE
            assert (item.date, item.until, item.params) == (old.date, old.until, old.params)
        else:
            assert item.status is ItemStatus.PLANNED
            assert item.date == old.date + shift
            assert item.until == (old.until + shift if old.until else None)
    dates = [item.date for item in moved.items]
    assert dates == sorted(dates)


def test_postponing_twice_keeps_items_done_the_first_time() -> None:
    plan = personalise(PATHWAY, facts(attends_school=True))
    once = postpone(plan, datetime.date(2027, 4, 1), {"arrange-family-help"})
    twice = postpone(once, datetime.date(2027, 5, 1))
    assert twice.item("arrange-family-help").status is ItemStatus.DONE
    assert twice.item("arrange-family-help").date == plan.item("arrange-family-help").date
    assert twice.item("notify-parent-work").date == datetime.date(2027, 4, 3)


def test_postponing_updates_the_dates_named_in_the_text() -> None:
    plan = personalise(PATHWAY, facts())
    moved = postpone(plan, datetime.date(2027, 3, 15))
    assert moved.item("anaesthetic").params == {"surgery_date": datetime.date(2027, 3, 15)}
    assert moved.discharge_date == datetime.date(2027, 3, 22)


def test_postponing_refuses_ids_not_in_the_plan() -> None:
    plan = personalise(PATHWAY, facts(attends_school=False))
    with pytest.raises(InvalidInputError) as caught:
        postpone(plan, datetime.date(2027, 4, 1), {"notify-school"})
    assert caught.value.field == "done_item_ids"


def test_recurring_items_repeat_daily_until_their_end() -> None:
    plan = personalise(PATHWAY, facts())
    skin = plan.item("skin-check")
    assert skin.recurrence is Recurrence.DAILY
    assert skin.date == plan.discharge_date
    assert skin.until == plan.surgery_date + datetime.timedelta(days=42)
    before_care = plan.item("pain-medicine-before-care")
    assert before_care.recurrence is Recurrence.BEFORE_CARE


def test_an_item_with_no_fitting_variant_is_reported_not_skipped() -> None:
    """A pathway whose only variant never matches raises instead of dropping the item."""
    from hipcare.domain.errors import OutsideRuleError
    from hipcare.domain.pathway import Condition, TextVariant

    item = PATHWAY.item("weight-bearing")
    odd = dataclasses.replace(
        item,
        variants=(TextVariant("Only for Dega.", Condition.of({"procedures_include": "dega"})),),
    )
    pathway: Pathway = dataclasses.replace(PATHWAY, items=(odd,))
    with pytest.raises(OutsideRuleError):
        personalise(pathway, facts())


def test_surgeon_preferences_validate_their_stay() -> None:
    with pytest.raises(InvalidInputError):
        SurgeonPreferences(
            id="dr-x",
            name="X",
            site="harbour-childrens",
            weight_bearing=WeightBearing.AS_TOLERATED,
            positioning_device=False,
            expected_stay_days=0,
        )
