"""The surveillance engine: stability, thresholds, schedule branches, worklist, input checks."""

from __future__ import annotations

import math
from datetime import date

import pytest

from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.gmfcs import GMFCS, parse_gmfcs
from hipcare.domain.surveillance import (
    ActionCode,
    Citation,
    HipPair,
    HipProcedure,
    HipSurgery,
    ReviewKind,
    RuleKind,
    RuleStatus,
    ScheduledReview,
    Stability,
    SurgerySide,
    SurveillanceInput,
    SurveillancePlan,
    SurveillanceRule,
    Visit,
    WorklistStatus,
    plan_surveillance,
    worklist_status,
)

RULES = load_surveillance_rules()


def film(day: date, right: float | None, left: float | None = None) -> Visit:
    return Visit(day, True, HipPair(right, left))


def plan(
    level: GMFCS | None,
    born: date,
    today: date,
    *visits: Visit,
    gestation_weeks: float | None = None,
) -> SurveillancePlan:
    return plan_surveillance(
        SurveillanceInput(born, level, today, visits, gestation_weeks=gestation_weeks), RULES
    )


def codes(result: SurveillancePlan) -> list[ActionCode]:
    return [action.code for action in result.actions]


BORN = date(2020, 1, 10)


# --- stability -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("earlier", "latest", "stability"),
    [
        # 212 days apart: 9.9 points is 17.1 a year and beyond the 8.3-point change error.
        (20, 29.9, Stability.UNSTABLE),
        (20, 30, Stability.UNSTABLE),
        # 8 points is 13.8 a year but within the change error: repeat the film.
        (20, 28, Stability.POSSIBLY_UNSTABLE),
        # 5 points is 8.6 a year: under 10 points a year.
        (20, 25, Stability.STABLE),
        (20, 10, Stability.STABLE),
    ],
)
def test_a_rise_of_10_points_a_year_beyond_the_change_error_is_unstable(
    earlier: float, latest: float, stability: Stability
) -> None:
    """Issue 14 changed the first row (9.9 points in 7 months used to be 'stable')."""
    result = plan(
        GMFCS.IV,
        BORN,
        date(2023, 9, 1),
        film(date(2023, 1, 1), earlier, 10),
        film(date(2023, 8, 1), latest, 10),
    )
    right = result.judgements[0]
    assert right.stability is stability
    assert right.rise_percent == round(latest - earlier, 1)
    assert right.compared_with == date(2023, 1, 1)


def test_stability_compares_with_each_film_4_to_24_months_before_and_reports_the_fastest() -> None:
    """Issue 14: the rate decides, not the rise against the lowest film of the last 12 months."""
    result = plan(
        GMFCS.IV,
        BORN,
        date(2023, 9, 1),
        film(date(2021, 6, 1), 2, 10),  # 26 months before the latest: not used
        film(date(2022, 6, 1), 5, 10),  # 19 points in 14 months: 16.3 a year
        film(date(2023, 2, 1), 15, 10),  # 9 points in 6 months: 18.2 a year, the fastest
        film(date(2023, 6, 1), 10, 10),  # 2 months before: too close to judge a rate
        film(date(2023, 8, 1), 24, 10),
    )
    right = result.judgements[0]
    assert (right.rise_percent, right.compared_with) == (9.0, date(2023, 2, 1))
    assert right.rise_per_year == 18.2
    assert right.stability is Stability.UNSTABLE


def test_the_worked_example_of_issue_14_is_unstable_with_a_film_within_6_months() -> None:
    """GMFCS V aged 2.5: right MP 15% -> 24% in 6 months is 18 points a year, beyond 8.3."""
    born = date(2022, 1, 10)
    result = plan(
        GMFCS.V,
        born,
        date(2024, 7, 20),
        film(date(2024, 1, 10), 15, 12),
        film(date(2024, 7, 10), 24, 13),
    )
    right = result.judgements[0]
    assert right.stability is Stability.UNSTABLE
    assert right.rise_per_year == pytest.approx(18.1, abs=0.1)
    assert ActionCode.MIGRATION_UNSTABLE in codes(result)
    assert result.review is not None
    assert result.review.due_by <= date(2025, 1, 10)


def test_films_under_4_months_apart_are_not_enough_to_judge_a_rate() -> None:
    result = plan(
        GMFCS.III,
        BORN,
        date(2023, 9, 1),
        film(date(2023, 6, 1), 10, 10),
        film(date(2023, 8, 1), 25, 10),
    )
    assert result.judgements[0].stability is Stability.NOT_ENOUGH_FILMS
    assert result.judgements[0].rise_per_year is None


def test_a_possibly_unstable_hip_brings_the_next_film_within_6_months_at_gmfcs_ii() -> None:
    result = plan(
        GMFCS.II,
        BORN,
        date(2023, 9, 1),
        film(date(2022, 8, 1), 12, 10),
        film(date(2023, 2, 1), 14, 10),
        film(date(2023, 8, 1), 20, 10),  # 6 points in 6 months: 12 a year, within the error
    )
    assert result.judgements[0].stability is Stability.POSSIBLY_UNSTABLE
    assert ActionCode.MIGRATION_UNSTABLE not in codes(result)
    assert any("Possibly unstable" in note for note in result.notes)
    assert result.review is not None
    assert result.review.rule_id == "local-film-within-6-months-when-rising"
    assert result.review.due_by == date(2024, 2, 1)


def test_accelerating_is_flagged_over_24_percent_when_the_rate_rises() -> None:
    """Wagner & Hägglund 2021: 20 -> 22 (4/yr) then 22 -> 27 (10/yr) over 6-month intervals."""
    result = plan(
        GMFCS.IV,
        BORN,
        date(2023, 9, 1),
        film(date(2022, 8, 1), 20, 10),
        film(date(2023, 2, 1), 22, 10),
        film(date(2023, 8, 1), 27, 10),
    )
    assert result.judgements[0].accelerating
    assert not result.judgements[1].accelerating
    assert any("accelerating" in note for note in result.notes)
    slower = plan(
        GMFCS.IV,
        BORN,
        date(2023, 9, 1),
        film(date(2022, 8, 1), 20, 10),
        film(date(2023, 2, 1), 25, 10),
        film(date(2023, 8, 1), 27, 10),
    )
    assert not slower.judgements[0].accelerating


def test_an_older_film_counts_its_rise_scaled_to_12_months() -> None:
    """MP 10 -> 22 over 24 months is 6 points a year: stable."""
    result = plan(
        GMFCS.IV,
        BORN,
        date(2023, 9, 1),
        film(date(2021, 8, 1), 10, 10),
        film(date(2023, 8, 1), 22, 10),
    )
    right = result.judgements[0]
    assert right.stability is Stability.STABLE
    assert right.rise_percent == pytest.approx(6.0, abs=0.1)


def test_one_film_is_not_enough_to_call_the_hip_stable() -> None:
    result = plan(GMFCS.IV, BORN, date(2023, 9, 1), film(date(2023, 8, 1), 10, 12))
    assert {j.stability for j in result.judgements} == {Stability.NOT_ENOUGH_FILMS}
    assert result.review is not None
    assert result.review.due_from == date(2024, 2, 1)  # 6-monthly until shown stable


def test_a_hip_never_measured_keeps_gmfcs_iv_on_6_monthly_reviews() -> None:
    """Only the right hip measured twice: the left is unknown, so the child is not 'stable'."""
    result = plan(
        GMFCS.IV, BORN, date(2023, 9, 1), film(date(2023, 2, 1), 10), film(date(2023, 8, 1), 11)
    )
    assert [j.stability for j in result.judgements] == [
        Stability.STABLE,
        Stability.NOT_ENOUGH_FILMS,
    ]
    assert result.review is not None
    assert result.review.rule_id == "local-gmfcs-iv-v-6-monthly-until-stable"


def test_films_are_judged_in_date_order_whatever_the_input_order() -> None:
    ordered = plan(
        GMFCS.IV,
        BORN,
        date(2023, 9, 1),
        film(date(2023, 2, 1), 10, 10),
        film(date(2023, 8, 1), 25, 10),
    )
    shuffled = plan(
        GMFCS.IV,
        BORN,
        date(2023, 9, 1),
        film(date(2023, 8, 1), 25, 10),
        film(date(2023, 2, 1), 10, 10),
    )
    assert ordered == shuffled


def test_head_shaft_angle_of_the_latest_film_is_reported() -> None:
    visit = Visit(date(2023, 8, 1), True, HipPair(10, 12), HipPair(160, 158))
    result = plan(GMFCS.IV, BORN, date(2023, 9, 1), visit)
    assert [j.head_shaft_angle_deg for j in result.judgements] == [160, 158]


# --- thresholds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "expected"),
    [
        (29.9, []),
        (30, [ActionCode.REFER_ORTHOPAEDIC]),
        (40, [ActionCode.REFER_ORTHOPAEDIC]),
        (40.1, [ActionCode.REFER_ORTHOPAEDIC, ActionCode.SURGERY_USUALLY_CONSIDERED]),
    ],
)
def test_referral_at_30_and_surgery_considered_over_40(
    percent: float, expected: list[ActionCode]
) -> None:
    result = plan(GMFCS.V, BORN, date(2023, 9, 1), film(date(2023, 8, 1), 10, percent))
    found = [
        code
        for code in codes(result)
        if code in {ActionCode.REFER_ORTHOPAEDIC, ActionCode.SURGERY_USUALLY_CONSIDERED}
    ]
    assert found == expected
    assert (worklist_status(result, date(2023, 9, 1)) is WorklistStatus.NEEDS_REFERRAL) is bool(
        expected
    )


def test_surgery_threshold_text_is_flagged_as_local_protocol() -> None:
    result = plan(GMFCS.V, BORN, date(2023, 9, 1), film(date(2023, 8, 1), 50, 10))
    surgery = next(a for a in result.actions if a.code is ActionCode.SURGERY_USUALLY_CONSIDERED)
    assert surgery.rule_id == "local-surgery-mp-over-40"
    assert "to be confirmed by the clinical lead" in surgery.text
    assert "left" not in surgery.text
    assert "right 50%" in surgery.text


# --- schedule branches ------------------------------------------------------------------------


def test_gmfcs_i_with_an_abnormal_first_film_still_goes_to_the_3_year_review() -> None:
    """AusACPDM 2014 gives GMFCS I no interval rule; the referral is what changes."""
    result = plan(GMFCS.I, BORN, date(2021, 9, 1), film(date(2021, 8, 1), 35, 10))
    assert codes(result) == [ActionCode.REFER_ORTHOPAEDIC, ActionCode.SCHEDULE_REVIEW]
    assert result.review is not None
    assert (result.review.due_from, result.review.xray) == (date(2023, 1, 10), False)


def test_gmfcs_ii_unstable_at_the_8_10_year_review_is_not_discharged() -> None:
    result = plan(
        GMFCS.II,
        date(2014, 5, 1),
        date(2022, 10, 1),
        film(date(2016, 1, 1), 10, 10),
        film(date(2017, 1, 1), 12, 11),
        film(date(2021, 12, 1), 14, 12),
        film(date(2022, 9, 1), 25, 13),
    )
    assert not result.discharged
    assert ActionCode.MIGRATION_UNSTABLE in codes(result)
    assert result.review is not None
    # Issue 14: an unstable hip has its next film within 6 months (was 12-monthly).
    assert result.review.due_from == date(2023, 3, 1)


def test_gmfcs_iii_after_the_8_10_year_review_continues_yearly_as_local_protocol() -> None:
    result = plan(
        GMFCS.III,
        date(2014, 5, 1),
        date(2023, 10, 1),
        film(date(2022, 9, 1), 15, 13),
        film(date(2023, 9, 1), 16, 14),
    )
    assert result.review is not None
    assert result.review.rule_id == "local-gmfcs-iii-12-monthly-after-8-10-years"
    assert result.review.due_from == date(2024, 9, 1)


def test_a_clinic_visit_without_x_ray_does_not_count_for_an_x_ray_review() -> None:
    """GMFCS II's 4-5 year review needs a film; a clinical visit at 4.5 years leaves it due."""
    result = plan(
        GMFCS.II,
        BORN,
        date(2024, 9, 1),
        film(date(2021, 6, 1), 10, 10),
        film(date(2022, 6, 1), 11, 11),
        Visit(date(2024, 8, 1), False),
    )
    assert result.review is not None
    assert result.review.rule_id == "ausacpdm-2014-gmfcs-ii-review-4-5-years"
    assert worklist_status(result, date(2024, 9, 1)) is WorklistStatus.DUE
    assert result.next_review == date(2024, 9, 1)


def test_corrected_age_is_reported_only_while_it_applies() -> None:
    early = plan(GMFCS.IV, date(2025, 1, 15), date(2026, 1, 15), gestation_weeks=30)
    assert early.corrected_age_months == 9  # corrected birth date 2025-03-26
    assert early.age_months == 12
    assert any("corrected by 70 days" in note for note in early.notes)
    later = plan(GMFCS.IV, date(2025, 1, 15), date(2027, 2, 1), gestation_weeks=30)
    assert later.corrected_age_months is None
    term = plan(GMFCS.IV, date(2025, 1, 15), date(2026, 1, 15), gestation_weeks=39)
    assert term.corrected_age_months is None
    assert "local-corrected-age" not in term.rule_ids


# --- worklist --------------------------------------------------------------------------------


def test_worklist_status_moves_from_not_yet_due_to_due_to_overdue() -> None:
    result = plan(GMFCS.II, BORN, date(2022, 1, 1), film(date(2021, 12, 1), 10, 10))
    assert result.review is not None
    assert result.review.due_from == date(2022, 12, 1)
    assert worklist_status(result, date(2022, 11, 30)) is WorklistStatus.NOT_YET_DUE
    assert worklist_status(result, date(2022, 12, 1)) is WorklistStatus.DUE
    assert worklist_status(result, date(2022, 12, 2)) is WorklistStatus.OVERDUE


def test_a_window_review_shows_today_while_due_and_its_deadline_once_overdue() -> None:
    review = ScheduledReview("r", ReviewKind.AGE, date(2024, 1, 1), date(2025, 1, 1), True)
    assert review.date_on(date(2023, 6, 1)) == date(2024, 1, 1)
    assert review.date_on(date(2024, 6, 1)) == date(2024, 6, 1)
    assert review.date_on(date(2025, 1, 1)) == date(2025, 1, 1)
    assert review.date_on(date(2025, 3, 1)) == date(2025, 1, 1)
    assert review.is_overdue(date(2025, 1, 2))


def test_discharged_children_have_their_own_status_and_uncovered_children_a_dated_review() -> None:
    """Issue 14: a child no rule covers is on the worklist with a default review (was no date)."""
    discharged = plan(
        GMFCS.I,
        date(2019, 1, 15),
        date(2024, 3, 15),
        film(date(2020, 6, 1), 10, 12),
        Visit(date(2024, 2, 1), False),
    )
    assert worklist_status(discharged, date(2024, 3, 15)) is WorklistStatus.DISCHARGED
    assert discharged.next_review is None
    outside = plan(None, BORN, date(2022, 1, 1), film(date(2021, 6, 1), 10, 10))
    assert worklist_status(outside, date(2022, 1, 1)) is WorklistStatus.OVERDUE
    assert worklist_status(outside, date(2021, 11, 1)) is WorklistStatus.NOT_YET_DUE
    assert outside.outside_guideline
    assert outside.next_review == date(2021, 12, 1)
    assert outside.actions[0].rule_id is None
    assert codes(outside) == [
        ActionCode.OUTSIDE_GUIDELINE,
        ActionCode.CLINICIAN_TO_SET_NEXT_REVIEW,
        ActionCode.REVIEW_OVERDUE,
        ActionCode.CONFIRM_GMFCS,
    ]


# --- input checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: SurveillanceInput(date(2024, 1, 2), GMFCS.I, date(2024, 1, 1)), "date_of_birth"),
        (
            lambda: SurveillanceInput(
                BORN, GMFCS.I, date(2024, 1, 1), (Visit(date(2024, 1, 2), False),)
            ),
            "visits[0].date",
        ),
        (
            lambda: SurveillanceInput(
                BORN,
                GMFCS.I,
                date(2024, 1, 1),
                (film(date(2021, 1, 1), 1), film(BORN.replace(year=2019), 1)),
            ),
            "visits[1].date",
        ),
        (
            lambda: SurveillanceInput(BORN, GMFCS.I, date(2024, 1, 1), gestation_weeks=19),
            "gestation_weeks",
        ),
        (
            lambda: SurveillanceInput(BORN, GMFCS.I, date(2024, 1, 1), gestation_weeks=math.nan),
            "gestation_weeks",
        ),
        (
            lambda: SurveillanceInput(BORN, GMFCS.I, date(2024, 1, 1), gestation_weeks=True),
            "gestation_weeks",
        ),
        (lambda: film(date(2024, 1, 1), 101), "migration_percentage.right"),
        (lambda: film(date(2024, 1, 1), 10, -1), "migration_percentage.left"),
        (lambda: film(date(2024, 1, 1), math.inf), "migration_percentage.right"),
        (lambda: film(date(2024, 1, 1), True), "migration_percentage.right"),  # type: ignore[arg-type]  # the check under test
        (lambda: film(date(2024, 1, 1), "12"), "migration_percentage.right"),  # type: ignore[arg-type]  # the check under test
        (lambda: Visit(date(2024, 1, 1), False, HipPair(10, None)), "migration_percentage"),
        (lambda: Visit(date(2024, 1, 1), "yes"), "xray"),  # type: ignore[arg-type]  # the check under test
        (lambda: Visit(date(2024, 1, 1), False, hip_pain="yes"), "hip_pain"),  # type: ignore[arg-type]  # the check under test
        (
            lambda: Visit(date(2024, 1, 1), False, passive_abduction_deg=HipPair(None, 91)),
            "passive_abduction_deg.left",
        ),
        (lambda: Visit(date(2024, 1, 1), False, pelvic_obliquity_deg=-1), "pelvic_obliquity_deg"),
        (
            lambda: HipSurgery("2024-01-01", SurgerySide.LEFT, HipProcedure.VDRO),  # type: ignore[arg-type]  # the check under test
            "date",
        ),
        (lambda: HipSurgery(date(2024, 1, 1), "left", HipProcedure.VDRO), "side"),  # type: ignore[arg-type]  # the check under test
        (lambda: HipSurgery(date(2024, 1, 1), SurgerySide.LEFT, "vdro"), "procedure"),  # type: ignore[arg-type]  # the check under test
        (
            lambda: SurveillanceInput(
                BORN,
                GMFCS.I,
                date(2024, 1, 1),
                hip_surgery=(HipSurgery(date(2019, 1, 1), SurgerySide.BOTH, HipProcedure.VDRO),),
            ),
            "hip_surgery[0].date",
        ),
        (
            lambda: Visit(date(2024, 1, 1), True, None, HipPair(200, None)),
            "head_shaft_angle_deg.right",
        ),
        (
            lambda: Visit(date(2024, 1, 1), True, None, HipPair(None, "x")),  # type: ignore[arg-type]  # the check under test
            "head_shaft_angle_deg.left",
        ),
    ],
)
def test_impossible_input_is_refused_naming_the_field(make: object, field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        make()  # type: ignore[operator]  # each row's factory is callable
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("I", GMFCS.I),
        ("iv", GMFCS.IV),
        (" V ", GMFCS.V),
        ("unknown", None),
        (None, None),
        ("Not classified", None),
    ],
)
def test_gmfcs_levels_are_read_from_roman_numerals_or_unknown(
    text: str | None, level: GMFCS | None
) -> None:
    assert parse_gmfcs(text) is level


@pytest.mark.parametrize("text", ["VI", "0", "", 4, "level 2"])
def test_a_gmfcs_level_outside_i_to_v_is_refused(text: object) -> None:
    with pytest.raises(InvalidInputError, match="not a GMFCS level") as caught:
        parse_gmfcs(text)
    assert caught.value.field == "gmfcs"


def test_rule_values_refuse_missing_citation_and_bad_numbers() -> None:
    with pytest.raises(InvalidInputError, match="source"):
        Citation(" ", "s", RuleStatus.GUIDELINE)
    with pytest.raises(InvalidInputError, match="section"):
        Citation("s", "", RuleStatus.GUIDELINE)
    with pytest.raises(InvalidInputError, match="note"):
        Citation("s", "s", RuleStatus.LOCAL_PROTOCOL)
    citation = Citation("s", "s", RuleStatus.GUIDELINE)
    with pytest.raises(InvalidInputError, match="every rule needs an id"):
        SurveillanceRule(" ", RuleKind.WGH_TYPE_IV, citation)
    with pytest.raises(InvalidInputError, match="finite"):
        SurveillanceRule("t", RuleKind.REFER_THRESHOLD, citation, threshold_percent=math.nan)


def test_gmfcs_iv_stays_6_monthly_when_a_film_of_the_last_24_months_was_unstable() -> None:
    """24 months of films, stable now, but the film of 2023-02-01 rose 12 points in 6 months."""
    result = plan(
        GMFCS.IV,
        BORN,
        date(2024, 9, 1),
        film(date(2022, 8, 1), 10, 10),
        film(date(2023, 2, 1), 22, 10),
        film(date(2023, 8, 1), 22, 10),
        film(date(2024, 2, 1), 22, 10),
        film(date(2024, 8, 1), 23, 10),
    )
    assert [j.stability for j in result.judgements] == [Stability.STABLE, Stability.STABLE]
    assert result.review is not None
    assert result.review.rule_id == "local-gmfcs-iv-v-6-monthly-until-stable"


def test_a_rising_hip_at_skeletal_maturity_gets_its_repeat_film_not_a_discharge() -> None:
    child = SurveillanceInput(
        date(2008, 1, 10),
        GMFCS.IV,
        date(2024, 9, 1),
        (film(date(2024, 2, 1), 12, 10), film(date(2024, 8, 1), 22, 10)),
        skeletal_maturity_reached=True,
    )
    result = plan_surveillance(child, RULES)
    assert not result.discharged
    assert result.review is not None
    assert result.review.rule_id == "local-film-within-6-months-when-rising"
    assert result.melbourne_grade == "to be graded by the clinician"


def test_gmfcs_i_with_a_rising_hip_after_the_5_year_review_gets_its_repeat_film() -> None:
    """No discharge while a hip is rising, even where GMFCS I has no interval rule."""
    result = plan(
        GMFCS.I,
        date(2019, 1, 15),
        date(2024, 3, 15),
        film(date(2023, 8, 1), 10, 10),
        film(date(2024, 2, 1), 20, 10),
    )
    assert not result.discharged
    assert result.review is not None
    assert result.review.rule_id == "local-film-within-6-months-when-rising"
    assert result.review.due_by == date(2024, 8, 1)


def test_a_clinic_examination_is_reported_in_words() -> None:
    visit = Visit(
        date(2023, 8, 1),
        False,
        pelvic_obliquity_deg=3,
        windswept_posture=True,
        passive_abduction_deg=HipPair(30, None),
    )
    result = plan(GMFCS.IV, BORN, date(2023, 9, 1), film(date(2023, 2, 1), 10, 10), visit)
    assert result.examination == {
        "date": "2023-08-01",
        "pelvic_obliquity_deg": 3,
        "windswept_posture": True,
        "passive_abduction_deg": {"right": 30, "left": None},
    }
    assert any(
        "windswept posture yes, pelvic obliquity 3 degrees, passive abduction right 30 degrees"
        in note
        for note in result.notes
    )
