"""VDRO planning geometry: identities, refusals, notes, the shortening model and its rules."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import hipcare.content
from hipcare.content.osteotomy import (
    REQUIRED_RULE_IDS,
    load_osteotomy_rules,
    osteotomy_rules_from_toml,
)
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.osteotomy import (
    CONFIRM_WITH_CLINICAL_LEAD,
    OsteotomyRequest,
    RangeRule,
    RuleAction,
    RuleStatus,
    ShorteningModel,
    estimate_shortening_mm,
    plan_osteotomy,
)
from hipcare.services.osteotomy import plan_vdro

RULES = load_osteotomy_rules()
TOML_TEXT = (Path(hipcare.content.__file__).parent / "osteotomy.toml").read_text("utf-8")

angles = st.floats(min_value=90, max_value=180, allow_nan=False, allow_infinity=False)


@st.composite
def feasible_requests(draw: st.DrawFn) -> OsteotomyRequest:
    """A request the shipped rules accept: varus, target 90-150°, chisel 0-35° to the neck."""
    target = draw(st.floats(min_value=90, max_value=150))
    before = draw(st.floats(min_value=target, max_value=180))
    chisel = draw(st.floats(min_value=0, max_value=35))
    plate = target - chisel
    if not 90 <= plate <= 150 or not 0 <= target - plate <= 35:
        plate = max(90.0, target - 35)
    return OsteotomyRequest(before, target, plate)


@given(feasible_requests())
def test_plate_plus_chisel_to_neck_is_the_target(request_: OsteotomyRequest) -> None:
    plan = plan_osteotomy(request_, RULES)
    assert math.isclose(
        request_.plate_angle_deg + plan.chisel_to_neck_deg,
        request_.target_neck_shaft_angle_deg,
        abs_tol=1e-9,
    )
    assert math.isclose(
        plan.final_neck_shaft_angle_deg, request_.target_neck_shaft_angle_deg, abs_tol=1e-9
    )


@given(feasible_requests())
def test_chisel_to_shaft_plus_chisel_to_neck_is_the_angle_before(
    request_: OsteotomyRequest,
) -> None:
    plan = plan_osteotomy(request_, RULES)
    assert math.isclose(
        plan.chisel_to_shaft_deg + plan.chisel_to_neck_deg,
        request_.neck_shaft_angle_deg,
        abs_tol=1e-9,
    )


@given(feasible_requests())
def test_correction_is_angle_before_minus_target_and_equals_the_wedge(
    request_: OsteotomyRequest,
) -> None:
    """The wedge between a cut along the chisel and one across the shaft is the correction."""
    plan = plan_osteotomy(request_, RULES)
    expected = request_.neck_shaft_angle_deg - request_.target_neck_shaft_angle_deg
    assert math.isclose(plan.correction_deg, expected, abs_tol=1e-9)
    wedge = plan.chisel_to_shaft_deg - request_.plate_angle_deg
    assert math.isclose(wedge, expected, abs_tol=1e-9)


models = st.builds(
    lambda neck, medial_share, distal_share: ShorteningModel(
        neck, medial_share * neck / 2, distal_share * neck
    ),
    st.floats(min_value=10, max_value=120),
    st.floats(min_value=-0.99, max_value=0.99),
    st.floats(min_value=0, max_value=1),
)


@given(
    before=angles,
    targets=st.lists(st.floats(min_value=90, max_value=150), min_size=2, max_size=2),
    model=models,
)
def test_shortening_grows_with_the_correction(
    before: float, targets: list[float], model: ShorteningModel
) -> None:
    """For one hip, a lower target (more varus) never gives a smaller shortening estimate."""
    more_varus, less_varus = sorted(min(target, before) for target in targets)
    assert estimate_shortening_mm(before, more_varus, model) >= (
        estimate_shortening_mm(before, less_varus, model) - 1e-9
    )


@given(before=angles, target=st.floats(min_value=90, max_value=150), model=models)
def test_shortening_matches_a_direct_rotation_of_the_head_centre(
    before: float, target: float, model: ShorteningModel
) -> None:
    """The closed form equals rotating the head centre about the hinge step by step."""
    target = min(target, before)
    alpha, turn = math.radians(before), math.radians(before - target)
    head_x = model.neck_length_mm * math.sin(alpha) - model.hinge_medial_offset_mm
    head_y = -model.neck_length_mm * math.cos(alpha) + model.hinge_distal_offset_mm
    turned_y = -head_x * math.sin(turn) + head_y * math.cos(turn)
    assert math.isclose(
        estimate_shortening_mm(before, target, model), head_y - turned_y, abs_tol=1e-9
    )


def test_shortening_is_zero_without_correction() -> None:
    assert estimate_shortening_mm(140, 140, RULES.default_shortening_model) == 0


def test_default_model_never_predicts_lengthening_within_the_accepted_angles() -> None:
    model = RULES.default_shortening_model
    estimates = [
        estimate_shortening_mm(before, target, model)
        for before in range(90, 181)
        for target in range(90, min(before, 150) + 1)
    ]
    assert min(estimates) >= 0


def _refusal(**changes: float | None) -> InvalidInputError:
    fields: dict[str, float | None] = {
        "neck_shaft_angle_deg": 150,
        "target_neck_shaft_angle_deg": 120,
        "plate_angle_deg": 90,
    }
    fields.update(changes)
    with pytest.raises(InvalidInputError) as caught:
        plan_osteotomy(OsteotomyRequest(**fields), RULES)  # type: ignore[arg-type]  # test passes None on purpose
    return caught.value


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"target_neck_shaft_angle_deg": 89}, "target_neck_shaft_angle_deg", "90–150°"),
        ({"target_neck_shaft_angle_deg": 151}, "target_neck_shaft_angle_deg", "outside"),
        ({"neck_shaft_angle_deg": 181}, "neck_shaft_angle_deg", "90–180°"),
        ({"neck_shaft_angle_deg": 89.5}, "neck_shaft_angle_deg", "check the measurement"),
        ({"plate_angle_deg": 80}, "plate_angle_deg", "plate angle 80°"),
        ({"plate_angle_deg": 130}, "plate_angle_deg", "chisel would sit -10°"),
        ({"plate_angle_deg": 90, "target_neck_shaft_angle_deg": 140}, "plate_angle_deg", "105"),
        (
            {"neck_shaft_angle_deg": 120, "target_neck_shaft_angle_deg": 130},
            "target_neck_shaft_angle_deg",
            "valgus",
        ),
        ({"anteversion_deg": 81, "target_anteversion_deg": 10}, "anteversion_deg", "−30 to 80°"),
        ({"anteversion_deg": 4, "target_anteversion_deg": -31}, "target_anteversion_deg", "out"),
        ({"anteversion_deg": 40}, "target_anteversion_deg", "give both or neither"),
        ({"target_anteversion_deg": 10}, "anteversion_deg", "give both or neither"),
        ({"neck_shaft_angle_deg": math.nan}, "neck_shaft_angle_deg", "not a finite number"),
        ({"plate_angle_deg": math.inf}, "plate_angle_deg", "not a finite number"),
        ({"anteversion_deg": math.nan, "target_anteversion_deg": 10}, "anteversion_deg", "finite"),
        (
            {"anteversion_deg": 10, "target_anteversion_deg": -math.inf},
            "target_anteversion_deg",
            "not a finite number",
        ),
        ({"neck_length_mm": 121}, "neck_length_mm", "10–120 mm"),
        (
            {"neck_length_mm": 9, "hinge_medial_offset_mm": 0, "hinge_distal_offset_mm": 0},
            "neck_length_mm",
            "outside the 10–120 mm",
        ),
        ({"neck_length_mm": math.nan}, "neck_length_mm", "finite"),
        ({"neck_length_mm": -5}, "neck_length_mm", "not a length"),
        ({"hinge_medial_offset_mm": 20}, "hinge_medial_offset_mm", "between -20 and 20 mm"),
        ({"hinge_distal_offset_mm": -1}, "hinge_distal_offset_mm", "between 0 and the neck"),
    ],
)  # fmt: skip
def test_planner_refuses_with_the_field_and_a_fix(
    changes: dict[str, float], field: str, words: str
) -> None:
    error = _refusal(**changes)
    assert error.field == field
    assert words in error.problem


def test_no_plate_reaches_a_target_beyond_the_plate_range_plus_the_chisel() -> None:
    """When even the best plate cannot reach the target, the message says so."""
    rules = dataclasses.replace(
        RULES,
        chisel_to_neck=dataclasses.replace(RULES.chisel_to_neck, low=0, high=5),
        plate_angle=dataclasses.replace(RULES.plate_angle, low=90, high=100),
    )
    with pytest.raises(InvalidInputError, match="no plate angle in the accepted range"):
        plan_osteotomy(OsteotomyRequest(150, 120, 100), rules)


def test_every_plan_warns_that_rotation_shifts_the_neck_shaft_angle_on_an_ap_film() -> None:
    """Issue 14: 20° of rotation moves the NSA read on an AP film by -6.6/+9.9° (PMC8790813)."""
    plan = plan_osteotomy(OsteotomyRequest(150, 120, 90), RULES)
    warning = next(note for note in plan.notes if "rotat" in note)
    assert "−6.6° to +9.9°" in warning
    assert "PMC8790813" in warning


def test_oxford_plan_has_no_unusual_target_note_but_flags_local_protocol() -> None:
    plan = plan_osteotomy(OsteotomyRequest(150, 120, 90), RULES)
    assert not any("outside the usual" in note for note in plan.notes)
    assert any(CONFIRM_WITH_CLINICAL_LEAD in note for note in plan.notes)
    assert any("estimate" in note and "not a measurement" in note for note in plan.notes)
    assert plan.derotation_deg is None
    assert plan.shortening_model_assumed == (
        "neck_length_mm",
        "hinge_medial_offset_mm",
        "hinge_distal_offset_mm",
    )


@pytest.mark.parametrize("target", [100, 125, 109.5, 120.5])
def test_target_outside_110_to_120_is_planned_with_a_note(target: float) -> None:
    plan = plan_osteotomy(OsteotomyRequest(150, target, 90), RULES)
    assert any("outside the usual 110–120°" in note for note in plan.notes)


@pytest.mark.parametrize(("target", "noted"), [(-5, True), (20, True), (0, False), (15, False)])
def test_target_anteversion_outside_0_to_15_is_planned_with_a_note(
    target: float, noted: bool
) -> None:
    request = OsteotomyRequest(150, 120, 90, anteversion_deg=40, target_anteversion_deg=target)
    plan = plan_osteotomy(request, RULES)
    assert any("outside the usual 0–15°" in note for note in plan.notes) is noted


def test_inward_derotation_is_noted() -> None:
    request = OsteotomyRequest(150, 120, 90, anteversion_deg=5, target_anteversion_deg=10)
    plan = plan_osteotomy(request, RULES)
    assert plan.derotation_deg == -5
    assert any("turned inward" in note for note in plan.notes)


def test_no_correction_is_a_derotation_only_plan() -> None:
    request = OsteotomyRequest(120, 120, 90, anteversion_deg=45, target_anteversion_deg=10)
    plan = plan_osteotomy(request, RULES)
    assert plan.correction_deg == 0
    assert plan.shortening_mm_estimate == 0
    assert any("derotation only" in note for note in plan.notes)


def test_given_dimensions_are_used_and_only_the_others_are_assumed() -> None:
    request = OsteotomyRequest(150, 120, 90, neck_length_mm=30)
    plan = plan_osteotomy(request, RULES)
    assert plan.shortening_model.neck_length_mm == 30
    assert plan.shortening_model_assumed == ("hinge_medial_offset_mm", "hinge_distal_offset_mm")
    assert any("neck length" not in note and "hinge 8 mm" in note for note in plan.notes)
    complete = OsteotomyRequest(
        150, 120, 90, neck_length_mm=30, hinge_medial_offset_mm=0, hinge_distal_offset_mm=0
    )
    plan = plan_osteotomy(complete, RULES)
    assert plan.shortening_model_assumed == ()
    assert not any("model assumes" in note for note in plan.notes)
    assert plan.shortening_mm_estimate == pytest.approx(
        30 * (math.cos(math.radians(120)) + math.sqrt(3) / 2)
    )


def test_plan_without_local_protocol_rules_has_no_confirmation_note() -> None:
    """The 'to be confirmed' flag follows the data: all-guideline rules carry no such note."""
    confirmed = {
        field.name: dataclasses.replace(getattr(RULES, field.name), status=RuleStatus.GUIDELINE)
        for field in dataclasses.fields(RULES)
        if isinstance(getattr(RULES, field.name), RangeRule)
    }
    rules = dataclasses.replace(RULES, **confirmed)
    request = OsteotomyRequest(
        150, 120, 90, neck_length_mm=40, hinge_medial_offset_mm=8, hinge_distal_offset_mm=15
    )
    plan = plan_osteotomy(request, rules)
    assert not any(CONFIRM_WITH_CLINICAL_LEAD in note for note in plan.notes)
    assert any(CONFIRM_WITH_CLINICAL_LEAD in note for note in plan_osteotomy(request, RULES).notes)


def test_every_rule_is_cited_with_a_status() -> None:
    for rule in RULES.all_rules():
        assert rule.source.strip()
        assert rule.section.strip()
        assert rule.status in RuleStatus
    assert RULES.shortening_model_source.strip()
    assert RULES.shortening_model_status is RuleStatus.LOCAL_PROTOCOL


def test_published_targets_are_guideline_and_unverified_ranges_local_protocol() -> None:
    """Oxford's 110-120° and 0-15° are cited; the spec's [U] plate range is local protocol."""
    assert RULES.usual_target_neck_shaft_angle.status is RuleStatus.GUIDELINE
    assert (RULES.usual_target_neck_shaft_angle.low, RULES.usual_target_neck_shaft_angle.high) == (
        110,
        120,
    )
    assert RULES.usual_target_anteversion.status is RuleStatus.GUIDELINE
    assert RULES.usual_target_anteversion.action is RuleAction.NOTE
    assert RULES.plate_angle.status is RuleStatus.LOCAL_PROTOCOL
    assert RULES.chisel_to_neck.status is RuleStatus.LOCAL_PROTOCOL
    assert "ndorms" in RULES.usual_target_neck_shaft_angle.source.lower()


def test_loader_refuses_a_file_without_a_required_rule() -> None:
    text = TOML_TEXT.replace('id = "chisel_to_neck"', 'id = "something_else"')
    with pytest.raises(InvalidInputError, match="missing rules: chisel_to_neck"):
        osteotomy_rules_from_toml(text)
    assert "chisel_to_neck" in REQUIRED_RULE_IDS


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('section = "clinical spec §4, implants in use"\n', "", "missing section"),
        ('\nstatus = "guideline"', '\nstatus = "folklore"', "not one of guideline, local-prot"),
        ('\naction = "note"', '\naction = "shout"', "not one of refuse, note"),
        ("[shortening_model]", "[unused]", "missing the \\[shortening_model\\] table"),
    ],
)
def test_loader_refuses_an_uncited_or_malformed_rule(old: str, new: str, message: str) -> None:
    assert old in TOML_TEXT
    with pytest.raises(InvalidInputError, match=message):
        osteotomy_rules_from_toml(TOML_TEXT.replace(old, new, 1))


def test_loader_refuses_a_shortening_model_without_a_source() -> None:
    text = TOML_TEXT.replace('source = "hipcare assumption', 'note = "hipcare assumption', 1)
    with pytest.raises(InvalidInputError, match=r"shortening_model.*missing source"):
        osteotomy_rules_from_toml(text)


def test_range_rule_refuses_an_inverted_or_uncited_range() -> None:
    rule = RULES.plate_angle
    with pytest.raises(InvalidInputError, match="swap them"):
        dataclasses.replace(rule, low=150, high=90)
    with pytest.raises(InvalidInputError, match="source"):
        dataclasses.replace(rule, source=" ")
    with pytest.raises(InvalidInputError, match="finite"):
        dataclasses.replace(rule, low=math.nan)
    with pytest.raises(InvalidInputError, match="expected a number"):
        dataclasses.replace(rule, high="150")  # type: ignore[arg-type]  # wrong type on purpose


def test_range_rule_describes_its_status() -> None:
    assert RULES.usual_target_neck_shaft_angle.describe() == "110–120°"
    assert RULES.plate_angle.describe() == f"90–150° (local protocol, {CONFIRM_WITH_CLINICAL_LEAD})"
    assert (
        RangeRule(
            "x", "x", -30, 80, "mm", RuleAction.NOTE, "s", "s", RuleStatus.GUIDELINE
        ).describe()
        == "−30 to 80 mm"
    )


OXFORD = {"neck_shaft_angle_deg": 150, "target_neck_shaft_angle_deg": 120, "plate_angle_deg": 90}


def test_service_answers_with_the_contract_keys_first() -> None:
    answer = plan_vdro(OXFORD, RULES)
    assert list(answer)[:4] == [
        "correction_deg",
        "chisel_to_neck_deg",
        "chisel_to_shaft_deg",
        "derotation_deg",
    ]
    assert (answer["correction_deg"], answer["chisel_to_neck_deg"]) == (30, 30)
    assert answer["chisel_to_shaft_deg"] == 120
    assert answer["derotation_deg"] is None
    assert answer["shortening_mm_estimate"] == 12.7
    assert {rule["id"] for rule in answer["rules"]} >= {"plate_angle", "chisel_to_neck"}


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({**OXFORD, "neck_shaft_angle_deg": None}, "neck_shaft_angle_deg", "required"),
        ({**OXFORD, "neck_shaft_angle_deg": True}, "neck_shaft_angle_deg", "expected a number"),
        ({**OXFORD, "neck_shaft_angle_deg": "150"}, "neck_shaft_angle_deg", "expected a number"),
        ({**OXFORD, "mp": 40}, "mp", "not a planner field"),
    ],
)  # fmt: skip
def test_service_refuses_malformed_requests(
    values: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        plan_vdro(values, RULES)
    assert caught.value.field == field
    assert words in caught.value.problem
