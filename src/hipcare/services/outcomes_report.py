"""The site outcomes report: the domain's figures, hip survival by procedure, and its JSON.

The use case :func:`build_site_report` takes a site's records (from the database through an
:class:`OutcomeRecordsSource`, or the synthetic demo), the cited content
(``content/outcomes.toml``) and a :class:`SurvivalEstimator` (Kaplan-Meier with a 95%
confidence band; the entry points hand in ``hipcare.analysis.survival``, built on lifelines).
It never imports the survival library itself, so the services stay light and testable with
a hand-written estimator.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.outcomes import (
    ComplicationGrade,
    OutcomeThresholds,
    ProcedureGroup,
    SiteRecords,
    SiteSummary,
    site_summary,
)

__all__ = [
    "OutcomeRecordsSource",
    "ReportContent",
    "SiteReport",
    "SurvivalEstimator",
    "SurvivalPoint",
    "build_site_report",
    "report_document",
]


@dataclass(frozen=True)
class SurvivalPoint:
    """One step of a survival curve: at ``years``, the estimate and its 95% confidence band."""

    years: float
    survival: float
    lower: float
    upper: float

    def __post_init__(self) -> None:
        for name in ("years", "survival", "lower", "upper"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise InvalidInputError(f"survival.{name}", "must be a finite number")
        if not 0 <= self.lower <= self.survival <= self.upper <= 1:
            raise InvalidInputError(
                "survival", "needs 0 <= lower <= survival <= upper <= 1 (a probability band)"
            )


class SurvivalEstimator(Protocol):
    """Kaplan-Meier survival with a 95% confidence band from durations and events."""

    def estimate(
        self, durations_years: Sequence[float], failed: Sequence[bool]
    ) -> Sequence[SurvivalPoint]:
        """The curve's steps (the first at 0 years), one per distinct duration."""
        ...


class OutcomeRecordsSource(Protocol):
    """Where a site's children, films and operations come from (storage implements it)."""

    def site_records(self, site_id: str) -> SiteRecords:
        """The site's children with their films and their operations' outcomes."""
        ...


@dataclass(frozen=True)
class ReportContent:
    """The cited content the report needs: thresholds, grade descriptions, the citation."""

    thresholds: OutcomeThresholds
    grade_descriptions: dict[ComplicationGrade, str]
    classification_source: str
    local_protocol_ids: tuple[str, ...]


@dataclass(frozen=True)
class SiteReport:
    """The domain's figures and the hip survival curves by procedure group."""

    summary: SiteSummary
    hip_survival: dict[ProcedureGroup, tuple[SurvivalPoint, ...]]
    content: ReportContent


def build_site_report(
    records: SiteRecords,
    content: ReportContent,
    estimator: SurvivalEstimator,
    *,
    today: date,
) -> SiteReport:
    """The site report on ``today``: figures from the domain, survival from ``estimator``."""
    summary = site_summary(records, content.thresholds, today=today)
    survival: dict[ProcedureGroup, tuple[SurvivalPoint, ...]] = {}
    records_with_follow_up = summary.survival_records
    for group in ProcedureGroup:
        hips = [record for record in records_with_follow_up if record.procedure_group is group]
        survival[group] = (
            tuple(
                estimator.estimate(
                    [record.years for record in hips], [record.failed for record in hips]
                )
            )
            if hips
            else ()
        )
    return SiteReport(summary=summary, hip_survival=survival, content=content)


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _coverage(children: int, covered: int) -> dict[str, Any]:
    return {
        "children": children,
        "with_film_in_window": covered,
        "share": None if children == 0 else round(covered / children, 4),
    }


def report_document(report: SiteReport) -> dict[str, Any]:
    """The report as JSON-ready data (the shape of ``hipcare report --json``, docs/outcomes.md).

    Counts and rounded figures only; no child, operation or date other than the report date.
    """
    summary = report.summary
    stay = summary.length_of_stay_days
    rows = summary.surveillance_coverage
    coverage: dict[str, Any] = {
        row.gmfcs.value: _coverage(row.children, row.with_recent_film) for row in rows
    }
    coverage["III-V"] = _coverage(
        sum(row.children for row in rows), sum(row.with_recent_film for row in rows)
    )
    hips = summary.hips
    return {
        "site": summary.site_id,
        "report_date": summary.report_date.isoformat(),
        "operations": summary.operations,
        "operations_by_procedure": {
            group.value: count for group, count in summary.operations_by_procedure.items()
        },
        "length_of_stay_days": {
            "count": 0 if stay is None else stay.count,
            "median": None if stay is None else stay.median,
            "q1": None if stay is None else stay.q1,
            "q3": None if stay is None else stay.q3,
        },
        "complications_by_grade": {
            grade.value: count for grade, count in summary.complications_by_grade.items()
        },
        "operations_with_complication": summary.operations_with_complication,
        "readmissions": {
            "within_days": summary.thresholds.readmission_window_days,
            "readmitted": summary.readmitted_within_window,
            "of_operations_with_discharge": summary.readmission_known,
        },
        "returned_to_theatre": summary.returned_to_theatre,
        "reoperated": summary.reoperated,
        "plates_removed": summary.plates_removed,
        "migration_percentage_by_hip": [
            {
                "procedure": hip.procedure_group.value,
                "before": _rounded(hip.migration_percentage_before, 1),
                "at_1_year": _rounded(hip.migration_percentage_at_1_year, 1),
                "at_2_years": _rounded(hip.migration_percentage_at_2_years, 1),
                "failed": hip.failed,
            }
            for hip in hips
        ],
        "hips": {
            "operated": len(hips),
            "with_follow_up": len(summary.survival_records),
            "failed": sum(1 for hip in hips if hip.failed),
        },
        "hip_survival": [
            {
                "procedure": group.value,
                "years": round(point.years, 4),
                "survival": round(point.survival, 4),
                "lower": round(point.lower, 4),
                "upper": round(point.upper, 4),
            }
            for group, points in report.hip_survival.items()
            for point in points
        ],
        "surveillance_coverage": coverage,
        "surveillance_coverage_window_months": (
            summary.thresholds.surveillance_coverage_window_months
        ),
        "children_by_gmfcs": dict(summary.children_by_gmfcs),
        "children_reached_migration_percentage_threshold_by_gmfcs": dict(
            summary.children_reached_surgery_threshold_by_gmfcs
        ),
        "migration_percentage_threshold": (
            summary.thresholds.surgery_considered_migration_percentage
        ),
        "complication_classification": report.content.classification_source,
        "to_be_confirmed_by_the_clinical_lead": list(report.content.local_protocol_ids),
    }
