"""Outcomes after an operation and the site report's figures (hipcare.domain.outcomes)."""

from __future__ import annotations

import statistics
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hipcare.content.outcomes import load_outcome_content, outcome_content_from_toml
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.outcomes import (
    Complication,
    ComplicationGrade,
    HipFilm,
    OperationOutcome,
    OutcomeChild,
    OutcomeThresholds,
    ProcedureGroup,
    Reoperation,
    SiteRecords,
    age_in_months,
    hip_outcomes,
    hip_survival_records,
    quartiles,
    site_summary,
)
from hipcare.domain.pathway import Procedure
from hipcare.domain.radiograph import Side

THRESHOLDS = OutcomeThresholds()
SURGERY = date(2022, 3, 10)


def _operation(**changes: object) -> OperationOutcome:
    values: dict[str, object] = {
        "operation_id": 1,
        "child_id": 7,
        "sides": (Side.RIGHT,),
        "procedures": (Procedure.VDRO,),
        "surgery_date": SURGERY,
        "admission_date": SURGERY,
        "discharge_date": SURGERY + timedelta(days=6),
    }
    values.update(changes)
    return OperationOutcome(**values)  # type: ignore[arg-type]


def _child(*films: HipFilm, gmfcs: GMFCS | None = GMFCS.IV, child_id: int = 7) -> OutcomeChild:
    return OutcomeChild(child_id, date(2015, 5, 20), gmfcs, films)


def _film(days_after_surgery: int, percentage: float, side: Side = Side.RIGHT) -> HipFilm:
    return HipFilm(side, SURGERY + timedelta(days=days_after_surgery), percentage)


# --- one operation ------------------------------------------------------------------------------


def test_length_of_stay_is_discharge_minus_admission_in_days() -> None:
    assert _operation().length_of_stay_days == 6
    assert _operation(admission_date=None, discharge_date=None).length_of_stay_days is None


def test_readmission_counts_only_within_the_window_after_discharge() -> None:
    discharge = SURGERY + timedelta(days=6)
    assert _operation(readmission_dates=(discharge + timedelta(days=30),)).readmitted_within(30)
    late = _operation(readmission_dates=(discharge + timedelta(days=31),))
    assert late.readmitted_within(30) is False
    assert _operation(discharge_date=None).readmitted_within(30) is None


def test_a_pelvic_osteotomy_puts_the_operation_in_its_own_group() -> None:
    assert _operation().procedure_group is ProcedureGroup.VDRO_ALONE
    with_dega = _operation(procedures=(Procedure.VDRO, Procedure.DEGA))
    assert with_dega.procedure_group is ProcedureGroup.VDRO_WITH_PELVIC_OSTEOTOMY


def test_the_worst_complication_follows_the_order_of_severity() -> None:
    operation = _operation(
        complications=(
            Complication(ComplicationGrade.IV_A, 3),
            Complication(ComplicationGrade.II, 1),
            Complication(ComplicationGrade.III, 9),
        )
    )
    assert operation.worst_complication is ComplicationGrade.IV_A
    assert _operation().worst_complication is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"discharge_date": SURGERY - timedelta(days=1)}, "outcome.discharge_date"),
        ({"admission_date": SURGERY + timedelta(days=1)}, "outcome.admission_date"),
        ({"admission_date": None}, "outcome.admission_date"),
        ({"sides": ()}, "outcome.sides"),
        ({"sides": (Side.LEFT, Side.LEFT)}, "outcome.sides"),
        ({"procedures": (Procedure.DEGA,)}, "outcome.procedures"),
        ({"surgery_date": "2022-03-10"}, "outcome.surgery_date"),
        ({"operation_id": 0}, "outcome.operation_id"),
        ({"readmission_dates": (SURGERY,)}, "outcome.readmission_dates[0]"),
        ({"return_to_theatre": "yes"}, "outcome.return_to_theatre"),
        ({"plate_removal_date": SURGERY}, "outcome.plate_removal_date"),
        ({"procedures": ("vdro",)}, "outcome.procedures"),
        ({"complications": ("III",)}, "outcome.complications[0]"),
        ({"readmission_dates": ("2022-04-01", SURGERY)}, "outcome.readmission_dates[0]"),
        (
            {"discharge_date": None, "readmission_dates": (SURGERY + timedelta(days=9),)},
            "outcome.discharge_date",
        ),
        ({"reoperations": ((Side.RIGHT, SURGERY),)}, "outcome.reoperations[0]"),
        (
            {"reoperations": (Reoperation(Side.LEFT, SURGERY + timedelta(days=400)),)},
            "outcome.reoperations[0].side",
        ),
        (
            {"reoperations": (Reoperation(Side.RIGHT, SURGERY),)},
            "outcome.reoperations[0].reoperation_date",
        ),
    ],
)
def test_impossible_outcomes_are_refused_naming_the_field(
    changes: dict[str, object], field: str
) -> None:
    """Each impossible outcome raises InvalidInputError pointing at the field to fix."""
    with pytest.raises(InvalidInputError) as error:
        _operation(**changes)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Complication("IIIb", 2), "complication.grade"),  # type: ignore[arg-type]
        (lambda: Complication(ComplicationGrade.I, -1), "complication.days_after_surgery"),
        (lambda: HipFilm(Side.LEFT, SURGERY, 101.0), "film.migration_percentage"),
        (lambda: HipFilm(Side.LEFT, SURGERY, float("nan")), "film.migration_percentage"),
        (lambda: HipFilm("left", SURGERY, 20.0), "film.side"),  # type: ignore[arg-type]
        (lambda: _child(HipFilm(Side.LEFT, date(2010, 1, 1), 20.0)), "child.films[0].film_date"),
        (
            lambda: OutcomeThresholds(readmission_window_days=0),
            "thresholds.readmission_window_days",
        ),
        (
            lambda: OutcomeThresholds(hip_failure_migration_percentage=120.0),
            "thresholds.hip_failure_migration_percentage",
        ),
        (lambda: OutcomeChild(1, date(2015, 1, 1), "IV"), "child.gmfcs"),  # type: ignore[arg-type]
        (
            lambda: OutcomeChild(1, date(2015, 1, 1), None, ("film",)),  # type: ignore[arg-type]
            "child.films[0]",
        ),
        (lambda: SiteRecords("", (), ()), "site_id"),
        (lambda: SiteRecords("s", (_child(), _child()), ()), "children"),
        (
            lambda: SiteRecords("s", (_child(),), (_operation(), _operation())),
            "operations[1].operation_id",
        ),
    ],
)
def test_impossible_values_are_refused_naming_the_field(build: object, field: str) -> None:
    """Grades outside the classification, NaN and out-of-range MP, films before birth."""
    with pytest.raises(InvalidInputError) as error:
        build()  # type: ignore[operator]
    assert error.value.field == field


# --- hips --------------------------------------------------------------------------------------


def test_migration_percentage_before_and_near_the_anniversaries_comes_from_the_films() -> None:
    child = _child(
        _film(-200, 35.0),
        _film(-20, 48.0),
        _film(300, 20.0),
        _film(380, 22.0),
        _film(700, 25.0),
        _film(10, 30.0, Side.LEFT),
    )
    (hip,) = hip_outcomes(_operation(), child, THRESHOLDS)
    assert hip.migration_percentage_before == 48.0
    assert hip.migration_percentage_at_1_year == 22.0
    assert hip.migration_percentage_at_2_years == 25.0
    assert (hip.failed, hip.follow_up_days) == (False, 700)


def test_a_film_outside_the_window_is_not_the_one_year_film() -> None:
    (hip,) = hip_outcomes(_operation(), _child(_film(150, 20.0)), THRESHOLDS)
    assert hip.migration_percentage_at_1_year is None


def test_a_hip_fails_at_the_first_film_above_fifty_percent() -> None:
    """Clinical spec §4: MP > 50% after the operation is a failure; exactly 50% is not."""
    child = _child(_film(365, 50.0), _film(800, 50.5), _film(1200, 70.0))
    (hip,) = hip_outcomes(_operation(), child, THRESHOLDS)
    assert (hip.failed, hip.follow_up_days, hip.failure_reason) == (
        True,
        800,
        "migration-percentage",
    )


def test_a_reoperation_on_the_hip_is_a_failure_when_it_comes_first() -> None:
    child = _child(_film(365, 20.0), _film(900, 60.0))
    operation = _operation(reoperations=(Reoperation(Side.RIGHT, SURGERY + timedelta(days=500)),))
    (hip,) = hip_outcomes(operation, child, THRESHOLDS)
    assert (hip.failed, hip.follow_up_days, hip.failure_reason) == (True, 500, "reoperation")


def test_a_hip_without_films_after_surgery_has_no_follow_up_and_no_survival_record() -> None:
    hips = hip_outcomes(_operation(sides=(Side.RIGHT, Side.LEFT)), _child(), THRESHOLDS)
    assert [hip.follow_up_days for hip in hips] == [None, None]
    assert hip_survival_records(hips) == ()


def test_survival_records_are_in_years() -> None:
    (hip,) = hip_outcomes(_operation(), _child(_film(730, 30.0)), THRESHOLDS)
    (record,) = hip_survival_records([hip])
    assert record.years == pytest.approx(730 / 365.25)
    assert record.failed is False


def test_another_childs_films_are_refused() -> None:
    with pytest.raises(InvalidInputError) as error:
        hip_outcomes(_operation(), _child(child_id=8), THRESHOLDS)
    assert error.value.field == "outcome.child_id"


# --- statistics --------------------------------------------------------------------------------


finite_values = st.lists(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=2, max_size=60
)


@given(finite_values)
def test_quartiles_agree_with_the_standard_librarys_inclusive_method(values: list[float]) -> None:
    """Type 7 quartiles: the same as statistics.quantiles(method='inclusive')."""
    result = quartiles(values)
    assert result is not None
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    assert result.q1 == pytest.approx(q1, abs=1e-6)
    assert result.median == pytest.approx(median, abs=1e-6)
    assert result.q3 == pytest.approx(q3, abs=1e-6)
    assert result.median == pytest.approx(statistics.median(values), abs=1e-6)


@given(st.lists(st.integers(min_value=0, max_value=90), min_size=1, max_size=60))
def test_quartiles_are_ordered_and_within_the_range(values: list[int]) -> None:
    result = quartiles(values)
    assert result is not None
    assert min(values) <= result.q1 <= result.median <= result.q3 <= max(values)
    assert result.count == len(values)


def test_quartiles_of_nothing_are_none_and_nan_is_refused() -> None:
    assert quartiles([]) is None
    with pytest.raises(InvalidInputError):
        quartiles([1.0, float("nan")])


@given(st.dates(min_value=date(1990, 1, 1)), st.dates(min_value=date(1990, 1, 1)))
def test_age_in_months_counts_completed_months(born: date, on: date) -> None:
    """The age never overshoots: born + age months is on or before the day, +1 is after it."""
    if on < born:
        with pytest.raises(InvalidInputError):
            age_in_months(born, on)
        return
    months = age_in_months(born, on)
    assert months >= 0
    assert (on.year, on.month, on.day) >= _add_months(born, months)
    assert (on.year, on.month, on.day) < _add_months(born, months + 1)


def _add_months(day: date, months: int) -> tuple[int, int, int]:
    year, month = divmod(day.month - 1 + months, 12)
    return (day.year + year, month + 1, day.day)


# --- the site ----------------------------------------------------------------------------------

TODAY = date(2025, 6, 30)


def _site() -> SiteRecords:
    children = (
        OutcomeChild(
            1, date(2014, 1, 1), GMFCS.III, (HipFilm(Side.LEFT, date(2024, 6, 30), 45.0),)
        ),
        OutcomeChild(
            2, date(2014, 1, 1), GMFCS.III, (HipFilm(Side.LEFT, date(2024, 6, 29), 20.0),)
        ),
        OutcomeChild(3, date(2014, 1, 1), GMFCS.V, ()),
        OutcomeChild(
            4,
            date(2016, 1, 1),
            GMFCS.IV,
            (
                HipFilm(Side.RIGHT, date(2021, 1, 5), 62.0),
                HipFilm(Side.RIGHT, date(2025, 1, 5), 30.0),
            ),
        ),
        OutcomeChild(5, date(2012, 1, 1), GMFCS.II, (HipFilm(Side.RIGHT, date(2025, 1, 5), 41.0),)),
        OutcomeChild(6, date(2012, 1, 1), None, ()),
    )
    operations = (
        OperationOutcome(
            10,
            4,
            (Side.RIGHT,),
            (Procedure.VDRO, Procedure.DEGA),
            date(2021, 2, 1),
            date(2021, 2, 1),
            date(2021, 2, 8),
            complications=(
                Complication(ComplicationGrade.II, 4),
                Complication(ComplicationGrade.III, 12),
            ),
            readmission_dates=(date(2021, 2, 20),),
            return_to_theatre=True,
        ),
        OperationOutcome(
            11,
            1,
            (Side.LEFT,),
            (Procedure.VDRO,),
            date(2024, 8, 1),
            date(2024, 8, 1),
            date(2024, 8, 5),
        ),
        OperationOutcome(12, 2, (Side.LEFT,), (Procedure.VDRO,), date(2025, 7, 1)),
    )
    return SiteRecords("demo-site", children, operations)


def test_site_summary_counts_operations_stays_and_complications() -> None:
    """Operations after the report date are left out; grades are counted one by one."""
    summary = site_summary(_site(), THRESHOLDS, today=TODAY)
    assert summary.operations == 2
    assert dict(summary.operations_by_procedure) == {
        ProcedureGroup.VDRO_ALONE: 1,
        ProcedureGroup.VDRO_WITH_PELVIC_OSTEOTOMY: 1,
    }
    assert summary.length_of_stay_days is not None
    assert (summary.length_of_stay_days.q1, summary.length_of_stay_days.median) == (4.75, 5.5)
    assert summary.complications_by_grade[ComplicationGrade.II] == 1
    assert summary.complications_by_grade[ComplicationGrade.III] == 1
    assert summary.complications_by_grade[ComplicationGrade.V] == 0
    assert (summary.readmitted_within_window, summary.readmission_known) == (1, 2)
    assert summary.returned_to_theatre == 1
    assert summary.operations_with_complication == 1


def test_surveillance_coverage_is_the_share_of_gmfcs_three_to_five_with_a_recent_film() -> None:
    """CPUP coverage: a film on the day twelve months back counts, the day before does not."""
    summary = site_summary(_site(), THRESHOLDS, today=TODAY)
    by_level = {row.gmfcs: row for row in summary.surveillance_coverage}
    assert (by_level[GMFCS.III].children, by_level[GMFCS.III].with_recent_film) == (2, 1)
    assert by_level[GMFCS.III].share == 0.5
    assert (by_level[GMFCS.IV].children, by_level[GMFCS.IV].with_recent_film) == (1, 1)
    assert (by_level[GMFCS.V].children, by_level[GMFCS.V].share) == (1, 0.0)


def test_coverage_of_a_level_without_children_has_no_share() -> None:
    records = SiteRecords("demo-site", (), ())
    summary = site_summary(records, THRESHOLDS, today=TODAY)
    assert [row.share for row in summary.surveillance_coverage] == [None, None, None]
    assert summary.length_of_stay_days is None


def test_children_whose_hip_passed_forty_percent_are_counted_by_gmfcs() -> None:
    summary = site_summary(_site(), THRESHOLDS, today=TODAY)
    reached = summary.children_reached_surgery_threshold_by_gmfcs
    assert reached == {"I": 0, "II": 1, "III": 1, "IV": 1, "V": 0, "unknown": 0}
    assert summary.children_by_gmfcs["unknown"] == 1


def test_coverage_window_ends_on_the_last_day_of_a_shorter_month() -> None:
    """Twelve months before 29 February is 28 February of the year before."""
    child = OutcomeChild(
        1, date(2014, 1, 1), GMFCS.V, (HipFilm(Side.LEFT, date(2023, 2, 28), 20.0),)
    )
    summary = site_summary(SiteRecords("s", (child,), ()), THRESHOLDS, today=date(2024, 2, 29))
    assert summary.surveillance_coverage[2].with_recent_film == 1


def test_coverage_window_reaching_before_year_one_starts_at_the_first_day() -> None:
    """A report dated in the first months of year 1 still has a window (no overflow)."""
    child = OutcomeChild(1, date(1, 1, 1), GMFCS.IV, (HipFilm(Side.LEFT, date(1, 1, 2), 20.0),))
    summary = site_summary(SiteRecords("s", (child,), ()), THRESHOLDS, today=date(1, 3, 1))
    assert summary.surveillance_coverage[1].with_recent_film == 1


def test_site_records_refuse_an_operation_of_another_site() -> None:
    with pytest.raises(InvalidInputError) as error:
        SiteRecords("s", (), (_operation(),))
    assert error.value.field == "operations[0].child_id"


# --- content -----------------------------------------------------------------------------------


def test_every_grade_and_threshold_cites_its_source() -> None:
    content = load_outcome_content()
    assert list(content.grade_descriptions) == list(ComplicationGrade)
    assert "Dodwell" in content.classification_source
    for rule in content.threshold_rules:
        assert rule.source.strip()
        assert rule.section.strip()
        assert rule.status in ("guideline", "local-protocol")
    assert content.thresholds.hip_failure_migration_percentage == 50.0


def test_a_grade_file_out_of_order_is_refused() -> None:
    text = (
        '[classification]\nname = "x"\nsource = "y"\nsection = "z"\n'
        '[[grade]]\ncode = "II"\ndescription = "d"\n'
    )
    with pytest.raises(InvalidInputError) as error:
        outcome_content_from_toml(text)
    assert error.value.field == "outcomes.toml grade"
