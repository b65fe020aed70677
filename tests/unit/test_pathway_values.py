"""The pathway's value types refuse what cannot be a pathway, naming the field."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from typing import Any

import pytest

from hipcare.content.pathway import load_pathway, surgeon_by_id
from hipcare.domain.errors import InvalidInputError, OutsideRuleError
from hipcare.domain.pathway import (
    Anchor,
    CareFacts,
    Condition,
    Phase,
    PhaseDefinition,
    Procedure,
    RelativeDay,
    SurgeonPreferences,
    SurgeonRule,
    TextVariant,
    WeightBearing,
    personalise,
)

PATHWAY = load_pathway()
ITEM = PATHWAY.item("skin-check")


def child(**changes: Any) -> CareFacts:
    base: dict[str, Any] = {
        "surgery_date": datetime.date(2027, 3, 1),
        "sides": "right",
        "procedures": ["vdro"],
        "weight_bearing": WeightBearing.AS_TOLERATED,
        "positioning_device": False,
        "wheelchair_user": False,
        "attends_school": False,
        "sees_therapists": True,
    }
    base.update(changes)
    return CareFacts(**base)


REFUSALS: list[tuple[str, Callable[[], object], str]] = [
    (
        "unknown condition key",
        lambda: Condition.of({"likes_dogs": True}),
        "applies_when.likes_dogs",
    ),
    (
        "non-bool condition",
        lambda: Condition.of({"wheelchair_user": "yes"}),
        "applies_when.wheelchair_user",
    ),
    (
        "bad enum condition",
        lambda: Condition.of({"weight_bearing": "hop"}),
        "applies_when.weight_bearing",
    ),
    (
        "bad procedure condition",
        lambda: Condition.of({"procedures_include": 3}),
        "applies_when.procedures_include",
    ),
    ("fractional offset", lambda: RelativeDay(Anchor.SURGERY, 1.5), "when.offset_days"),  # type: ignore[arg-type]  # the refusal under test
    ("bool offset", lambda: RelativeDay(Anchor.SURGERY, True), "when.offset_days"),
    ("broken braces", lambda: TextVariant("Come on {surgery_date."), "variant.text"),
    ("empty text", lambda: TextVariant("  "), "variant.text"),
    ("bad item id", lambda: dataclasses.replace(ITEM, id="Skin Check"), "item.id"),
    ("no variants", lambda: dataclasses.replace(ITEM, variants=()), "item.skin-check.text"),
    (
        "no clinician note",
        lambda: dataclasses.replace(ITEM, clinician_note=" "),
        "item.skin-check.clinician_note",
    ),
    (
        "bad sheet point",
        lambda: dataclasses.replace(ITEM, fact_sheet_points=("Skin!",)),
        "item.skin-check.fact_sheet_points",
    ),
    ("empty phase title", lambda: PhaseDefinition(Phase.DECISION, ""), "phase.decision.title"),
    (
        "phases out of order",
        lambda: dataclasses.replace(PATHWAY, phases=PATHWAY.phases[::-1]),
        "phase",
    ),
    ("duplicate item", lambda: dataclasses.replace(PATHWAY, items=(ITEM, ITEM)), "item.id"),
    (
        "zero-day stay",
        lambda: dataclasses.replace(PATHWAY, default_expected_stay_days=0),
        "default_expected_stay_days",
    ),
    (
        "uncited stay",
        lambda: dataclasses.replace(PATHWAY, default_expected_stay_source=""),
        "default_expected_stay_source",
    ),
    ("unknown pathway item", lambda: PATHWAY.item("tea-party"), "item"),
    ("empty surgeon rule", lambda: SurgeonRule(Procedure.DEGA), "surgeon.rule"),
    (
        "bad surgeon id",
        lambda: dataclasses.replace(surgeon_by_id("dr-lee"), id="Dr Lee"),
        "surgeon.id",
    ),
    ("empty language", lambda: child(language=""), "language"),
    ("procedures not a list", lambda: child(procedures=None), "procedures"),
    (
        "datetime as date",
        lambda: child(surgery_date=datetime.datetime(2027, 3, 1, 9, 0, tzinfo=datetime.UTC)),
        "surgery_date",
    ),
    ("plan item unknown", lambda: personalise(PATHWAY, child()).item("tea-party"), "item"),
]


@pytest.mark.parametrize(("case", "make", "field"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusal_names_the_field(case: str, make: Callable[[], object], field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        make()
    assert caught.value.field == field, case


def test_lists_of_procedures_become_a_tuple_of_procedures() -> None:
    assert child(procedures=["vdro", "dega"]).procedures == (Procedure.VDRO, Procedure.DEGA)


def test_surgeon_preferences_for_another_surgeon_are_refused() -> None:
    with pytest.raises(InvalidInputError) as caught:
        personalise(PATHWAY, child(surgeon="dr-okafor"), surgeon=surgeon_by_id("dr-lee"))
    assert caught.value.field == "surgeon"


def test_surgeon_rule_that_sets_only_the_device_keeps_the_default_weight_bearing() -> None:
    surgeon = SurgeonPreferences(
        id="dr-x",
        name="X",
        site="harbour-childrens",
        weight_bearing=WeightBearing.AS_TOLERATED,
        positioning_device=False,
        rules=(SurgeonRule(Procedure.DEGA, positioning_device=True),),
    )
    dega = (Procedure.VDRO, Procedure.DEGA)
    assert surgeon.weight_bearing_for(dega) is WeightBearing.AS_TOLERATED
    assert surgeon.positioning_device_for(dega) is True
    assert surgeon.positioning_device_for((Procedure.VDRO,)) is False


def test_by_phase_lists_every_phase_in_order_with_its_items() -> None:
    plan = personalise(PATHWAY, child())
    groups = plan.by_phase()
    assert [phase.phase for phase, _ in groups] == list(Phase)
    assert sum(len(items) for _, items in groups) == len(plan.items)
    assert all(item.phase is phase.phase for phase, items in groups for item in items)


def test_text_needing_a_value_the_plan_lacks_is_reported() -> None:
    """The site name is only known when a site is given; a text that needs it says so."""
    needs_site = dataclasses.replace(ITEM, variants=(TextVariant("At {site_name}."),))
    pathway = dataclasses.replace(PATHWAY, items=(needs_site,))
    with pytest.raises(OutsideRuleError):
        personalise(pathway, child())


def test_weekly_items_repeat_every_seven_days_and_others_daily() -> None:
    from hipcare.domain.pathway import Recurrence

    assert [r.interval_days for r in Recurrence] == [1, 7, 1]
