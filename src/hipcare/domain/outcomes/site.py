"""The numbers a site reports about its hips (see the package docstring): operations by
procedure group, length of stay quartiles, complications by grade, readmissions, MP before
and after, CPUP-style surveillance coverage and the children whose hip reached MP > 40%."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.outcomes.operation import (
    COVERAGE_LEVELS,
    ComplicationGrade,
    HipOutcome,
    HipSurvivalRecord,
    OperationOutcome,
    OutcomeChild,
    OutcomeThresholds,
    ProcedureGroup,
    checked_date,
    has_film_within,
    hip_outcomes,
    hip_survival_records,
    is_number,
    reached_migration_percentage,
)

__all__ = [
    "CoverageRow",
    "Quartiles",
    "SiteRecords",
    "SiteSummary",
    "quartiles",
    "site_summary",
]


# --- the site ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteRecords:
    """Everything the site report reads: the site's children and their operations' outcomes."""

    site_id: str
    children: tuple[OutcomeChild, ...]
    operations: tuple[OperationOutcome, ...]
    _children_by_id: dict[int, OutcomeChild] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        if not isinstance(self.site_id, str) or not self.site_id:
            raise InvalidInputError("site_id", "is empty; give the site's id")
        children = tuple(self.children)
        ids = [child.child_id for child in children]
        if len(set(ids)) != len(ids):
            raise InvalidInputError("children", "lists the same child twice")
        operations = tuple(self.operations)
        known = set(ids)
        seen: set[int] = set()
        for index, operation in enumerate(operations):
            if operation.child_id not in known:
                raise InvalidInputError(
                    f"operations[{index}].child_id", "is not a child of this site"
                )
            if operation.operation_id in seen:
                raise InvalidInputError(f"operations[{index}].operation_id", "is listed twice")
            seen.add(operation.operation_id)
        object.__setattr__(self, "children", children)
        object.__setattr__(self, "operations", operations)
        object.__setattr__(self, "_children_by_id", {child.child_id: child for child in children})

    def child(self, child_id: int) -> OutcomeChild:
        return self._children_by_id[child_id]


@dataclass(frozen=True)
class Quartiles:
    """Median and quartiles of ``count`` values (linear interpolation between order statistics)."""

    count: int
    median: float
    q1: float
    q3: float


def _quantile(ordered: Sequence[float], fraction: float) -> float:
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def quartiles(values: Iterable[float]) -> Quartiles | None:
    """Median, first and third quartile of ``values``, or None when there are none.

    The quartiles interpolate linearly between order statistics (Hyndman & Fan type 7, the
    default of R and NumPy; ``statistics.quantiles(method="inclusive")``). NaN is refused.
    """
    ordered = sorted(values)
    if any(not is_number(value) for value in ordered):
        raise InvalidInputError("values", "must be finite numbers")
    if not ordered:
        return None
    return Quartiles(
        count=len(ordered),
        median=_quantile(ordered, 0.5),
        q1=_quantile(ordered, 0.25),
        q3=_quantile(ordered, 0.75),
    )


@dataclass(frozen=True)
class CoverageRow:
    """Surveillance coverage of one GMFCS level: children with a film in the window, of all."""

    gmfcs: GMFCS
    children: int
    with_recent_film: int

    @property
    def share(self) -> float | None:
        return None if self.children == 0 else self.with_recent_film / self.children


@dataclass(frozen=True)
class SiteSummary:
    """The site report's figures (hip survival is estimated outside the domain)."""

    site_id: str
    report_date: date
    operations: int
    operations_by_procedure: Mapping[ProcedureGroup, int]
    length_of_stay_days: Quartiles | None
    complications_by_grade: Mapping[ComplicationGrade, int]
    operations_with_complication: int
    readmitted_within_window: int
    readmission_known: int
    returned_to_theatre: int
    reoperated: int
    plates_removed: int
    hips: tuple[HipOutcome, ...]
    surveillance_coverage: tuple[CoverageRow, ...]
    children_reached_surgery_threshold_by_gmfcs: Mapping[str, int]
    children_by_gmfcs: Mapping[str, int]
    thresholds: OutcomeThresholds = field(default_factory=OutcomeThresholds)

    @property
    def survival_records(self) -> tuple[HipSurvivalRecord, ...]:
        return hip_survival_records(self.hips)


def _gmfcs_key(level: GMFCS | None) -> str:
    return "unknown" if level is None else level.value


def site_summary(
    records: SiteRecords, thresholds: OutcomeThresholds, *, today: date
) -> SiteSummary:
    """The site report's figures on ``today`` from the site's children and operations.

    Only operations on or before ``today`` count. Coverage (CPUP): of the children at GMFCS
    III, IV and V, those with a hip film in the ``surveillance_coverage_window_months`` before
    ``today`` (inclusive). Children whose hip reached MP above
    ``surgery_considered_migration_percentage`` on any film, by GMFCS level (and "unknown").
    """
    checked_date(today, "today")
    operations = [op for op in records.operations if op.surgery_date <= today]
    by_procedure = dict.fromkeys(ProcedureGroup, 0)
    by_grade = dict.fromkeys(ComplicationGrade, 0)
    hips: list[HipOutcome] = []
    for operation in operations:
        by_procedure[operation.procedure_group] += 1
        for complication in operation.complications:
            by_grade[complication.grade] += 1
        hips += hip_outcomes(operation, records.child(operation.child_id), thresholds)
    readmissions = [op.readmitted_within(thresholds.readmission_window_days) for op in operations]
    months = thresholds.surveillance_coverage_window_months
    coverage = []
    for level in COVERAGE_LEVELS:
        at_level = [child for child in records.children if child.gmfcs is level]
        covered = [
            child for child in at_level if has_film_within(child, months=months, today=today)
        ]
        coverage.append(CoverageRow(level, len(at_level), len(covered)))
    levels = [*(level.value for level in GMFCS), "unknown"]
    reached = dict.fromkeys(levels, 0)
    children_by_level = dict.fromkeys(levels, 0)
    threshold = thresholds.surgery_considered_migration_percentage
    for child in records.children:
        key = _gmfcs_key(child.gmfcs)
        children_by_level[key] += 1
        if reached_migration_percentage(child, threshold, today=today):
            reached[key] += 1
    return SiteSummary(
        site_id=records.site_id,
        report_date=today,
        operations=len(operations),
        operations_by_procedure=by_procedure,
        length_of_stay_days=quartiles(
            stay for op in operations if (stay := op.length_of_stay_days) is not None
        ),
        complications_by_grade=by_grade,
        operations_with_complication=sum(1 for op in operations if op.complications),
        readmitted_within_window=sum(1 for known in readmissions if known),
        readmission_known=sum(1 for known in readmissions if known is not None),
        returned_to_theatre=sum(1 for op in operations if op.return_to_theatre),
        reoperated=sum(1 for op in operations if op.reoperations),
        plates_removed=sum(1 for op in operations if op.plate_removal_date is not None),
        hips=tuple(hips),
        surveillance_coverage=tuple(coverage),
        children_reached_surgery_threshold_by_gmfcs=reached,
        children_by_gmfcs=children_by_level,
        thresholds=thresholds,
    )
