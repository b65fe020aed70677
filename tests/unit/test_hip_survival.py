"""Hip survival: the lifelines Kaplan-Meier adapter checked by hand, and the report use case."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hipcare.analysis.survival import KaplanMeierEstimator
from hipcare.content.outcomes import load_outcome_content
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.outcomes import ProcedureGroup
from hipcare.services.outcomes_demo import demo_outcomes
from hipcare.services.outcomes_report import (
    ReportContent,
    SurvivalPoint,
    build_site_report,
    report_document,
)

# Six hips: failures at 1, 3 and 4 years; censored at 2, 5 and 6 years.
DURATIONS = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
FAILED = [True, False, True, True, False, False]


def _by_hand() -> dict[float, tuple[float, float, float]]:
    """Kaplan-Meier and the exponential-Greenwood 95% band, computed step by step.

    S(t) = prod (1 - d/n); Greenwood: V = sum d / (n (n - d)); on the log(-log S) scale the
    standard error is sqrt(V) / |log S|, and the band is S ** exp(+-1.96 * se) (Kalbfleisch &
    Prentice 2002, as lifelines documents).
    """
    z = 1.959963984540054
    survival, greenwood = 1.0, 0.0
    curve = {0.0: (1.0, 1.0, 1.0)}
    at_risk = len(DURATIONS)
    for time, failed in zip(DURATIONS, FAILED, strict=True):
        if failed:
            survival *= 1 - 1 / at_risk
            greenwood += 1 / (at_risk * (at_risk - 1))
        error = math.sqrt(greenwood) / abs(math.log(survival)) if greenwood else 0.0
        if greenwood:
            lower = survival ** math.exp(z * error)
            upper = survival ** math.exp(-z * error)
        else:
            lower = upper = 1.0
        curve[time] = (survival, lower, upper)
        at_risk -= 1
    return curve


def test_kaplan_meier_matches_the_curve_and_band_computed_by_hand() -> None:
    """Survival 5/6 after the first failure, then 5/6*3/4 and 5/6*3/4*2/3; Greenwood band."""
    points = KaplanMeierEstimator().estimate(DURATIONS, FAILED)
    expected = _by_hand()
    assert [point.years for point in points] == list(expected)
    for point in points:
        survival, lower, upper = expected[point.years]
        assert point.survival == pytest.approx(survival, abs=1e-9)
        assert point.lower == pytest.approx(lower, abs=1e-6)
        assert point.upper == pytest.approx(upper, abs=1e-6)
    assert points[-1].survival == pytest.approx(5 / 6 * 3 / 4 * 2 / 3)


def test_kaplan_meier_of_no_hips_is_empty_and_bad_durations_are_refused() -> None:
    estimator = KaplanMeierEstimator()
    assert estimator.estimate([], []) == ()
    with pytest.raises(InvalidInputError) as error:
        estimator.estimate([1.0, -1.0], [True, False])
    assert error.value.field == "durations_years"
    with pytest.raises(InvalidInputError) as error:
        estimator.estimate([1.0], [True, False])
    assert error.value.field == "failed"
    with pytest.raises(InvalidInputError):
        KaplanMeierEstimator(alpha=1.5)


def test_a_survival_point_outside_its_band_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        SurvivalPoint(years=1.0, survival=0.5, lower=0.6, upper=0.9)
    with pytest.raises(InvalidInputError):
        SurvivalPoint(years=float("nan"), survival=0.5, lower=0.4, upper=0.9)


class FlatEstimator:
    """A hand-written estimator: records what it was given, answers a flat curve."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[float], list[bool]]] = []

    def estimate(
        self, durations_years: Sequence[float], failed: Sequence[bool]
    ) -> Sequence[SurvivalPoint]:
        self.calls.append((list(durations_years), list(failed)))
        return (
            SurvivalPoint(0.0, 1.0, 1.0, 1.0),
            SurvivalPoint(max(durations_years), 0.5, 0.25, 0.75),
        )


def _content() -> ReportContent:
    content = load_outcome_content()
    return ReportContent(
        content.thresholds,
        content.grade_descriptions,
        content.classification_source,
        content.local_protocol_ids,
    )


def test_the_report_estimates_survival_once_per_procedure_group() -> None:
    """Each group's hips with follow-up go to the estimator; the JSON lists its points."""
    today = date(2026, 12, 6)
    records = demo_outcomes(today=today, seed=3, operations=40).records
    estimator = FlatEstimator()
    report = build_site_report(records, _content(), estimator, today=today)
    assert len(estimator.calls) == 2
    with_follow_up = sum(len(durations) for durations, _ in estimator.calls)
    assert with_follow_up == len(report.summary.survival_records)
    document = report_document(report)
    assert {point["procedure"] for point in document["hip_survival"]} == {
        group.value for group in ProcedureGroup
    }
    assert set(document["hip_survival"][0]) == {"procedure", "years", "survival", "lower", "upper"}
    assert document["operations"] == 40
    assert set(document["length_of_stay_days"]) >= {"median", "q1", "q3"}


def test_a_site_without_operations_reports_empty_survival_and_no_stay() -> None:
    from hipcare.domain.outcomes import SiteRecords

    report = build_site_report(
        SiteRecords("s", (), ()), _content(), FlatEstimator(), today=date(2026, 1, 1)
    )
    document = report_document(report)
    assert document["hip_survival"] == []
    assert document["length_of_stay_days"] == {"count": 0, "median": None, "q1": None, "q3": None}
    assert document["surveillance_coverage"]["III-V"]["share"] is None


def test_the_demo_is_deterministic_for_a_seed_and_day() -> None:
    today = date(2026, 12, 6)
    first = demo_outcomes(today=today, seed=5, operations=30)
    assert first == demo_outcomes(today=today, seed=5, operations=30)
    assert first != demo_outcomes(today=today, seed=6, operations=30)
    assert len(first.records.operations) == 30


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(min_value=0.01, max_value=15.0), st.booleans()),
        min_size=1,
        max_size=40,
    )
)
def test_kaplan_meier_never_rises_and_stays_inside_its_band(hips: list[tuple[float, bool]]) -> None:
    """Survival starts at 1, never rises, and lies within a band inside 0-1."""
    points = KaplanMeierEstimator().estimate([years for years, _ in hips], [f for _, f in hips])
    assert points[0].survival == 1.0
    survivals = [point.survival for point in points]
    assert survivals == sorted(survivals, reverse=True)
    failures_at_or_before_last = sum(1 for _, failed in hips if failed)
    assert (survivals[-1] < 1.0) == (failures_at_or_before_last > 0)
