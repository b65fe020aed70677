"""A child's migration-percentage trend per hip, and the change since the previous film.

Read from the visits a clinician recorded: each film's reported migration percentage (0-100%)
per hip, oldest first, and for each hip the change between its last two films, flagged
"within measurement error" when smaller than 8.3 percentage points — the 95% limit for the
change in MP between two films read by an experienced rater (Parrott J, Boyd RN, Dobson F, et
al. J Pediatr Orthop 2002;22:660-667; ``MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS``). The
chart's band uses the single-film limit (5.8 points, same paper).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from hipcare.domain.radiograph import (
    MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS,
    MIGRATION_PERCENTAGE_SINGLE_FILM_ERROR_POINTS,
    Side,
)
from hipcare.domain.records import VisitRecord
from hipcare.domain.surveillance import RuleKind, SurveillanceRules
from hipcare.domain.trend import TrendPoint

__all__ = ["HipChange", "HipTrend", "TrendChart", "hip_trend"]


class TrendChart(Protocol):
    """Draws the trend as one SVG element (the entry point passes
    :func:`hipcare.render.trend_chart.trend_chart_svg`)."""

    def __call__(
        self,
        series: Mapping[Side, Sequence[TrendPoint]],
        *,
        refer_threshold_percent: float,
        surgery_threshold_percent: float,
        error_band_points: float,
        chart_id: str = ...,
    ) -> str: ...


@dataclass(frozen=True)
class HipChange:
    """One hip's MP change between its last two films (percentage points, + = worse)."""

    side: Side
    previous_date: date
    latest_date: date
    previous_percent: float
    latest_percent: float

    @property
    def change_points(self) -> float:
        return self.latest_percent - self.previous_percent

    @property
    def within_measurement_error(self) -> bool:
        """Smaller than the 8.3-point limit for a change between two films (Parrott 2002)."""
        return abs(self.change_points) < MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS


@dataclass(frozen=True)
class HipTrend:
    """What the surveillance section draws: points per hip, changes, thresholds, the chart."""

    series: Mapping[Side, tuple[TrendPoint, ...]]
    changes: tuple[HipChange, ...]
    refer_threshold_percent: float
    surgery_threshold_percent: float
    svg: str
    change_error_points: float = MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS
    single_film_error_points: float = MIGRATION_PERCENTAGE_SINGLE_FILM_ERROR_POINTS

    @property
    def films(self) -> tuple[tuple[date, float | None, float | None], ...]:
        """(date, right MP, left MP) rows for the chart's data table, oldest first."""
        right = {point.day: point.migration_percentage for point in self.series[Side.RIGHT]}
        left = {point.day: point.migration_percentage for point in self.series[Side.LEFT]}
        return tuple((day, right.get(day), left.get(day)) for day in sorted({*right, *left}))


def _threshold(rules: SurveillanceRules, kind: RuleKind) -> float:
    rule = rules.single(kind)
    if rule.threshold_percent is None:  # pragma: no cover -- the rules loader checks this
        raise ValueError(f"the {kind.value} rule has no threshold")
    return rule.threshold_percent


def hip_trend(
    visits: Iterable[VisitRecord],
    rules: SurveillanceRules,
    *,
    chart: TrendChart,
    chart_id: str = "mp-trend",
) -> HipTrend:
    """The trend of every film with a migration percentage, and the chart of it (drawn by
    ``chart``).

    The referral and surgery lines come from the surveillance rules (``refer-threshold``
    and ``surgery-threshold`` in ``content/surveillance.toml``). When two films share a day,
    the one recorded last counts.
    """
    by_side: dict[Side, dict[date, float]] = {Side.RIGHT: {}, Side.LEFT: {}}
    for visit in sorted(visits, key=lambda visit: (visit.visit_date, visit.recorded_at)):
        for hip in visit.hips:
            if hip.migration_percentage_reported is not None:
                by_side[hip.side][visit.visit_date] = hip.migration_percentage_reported
    series = {
        side: tuple(TrendPoint(day, value) for day, value in sorted(values.items()))
        for side, values in by_side.items()
    }
    changes = tuple(
        HipChange(side, points[-2].day, points[-1].day, *_values(points[-2], points[-1]))
        for side, points in series.items()
        if len(points) >= 2
    )
    refer = _threshold(rules, RuleKind.REFER_THRESHOLD)
    surgery = _threshold(rules, RuleKind.SURGERY_THRESHOLD)
    svg = chart(
        series,
        refer_threshold_percent=refer,
        surgery_threshold_percent=surgery,
        error_band_points=MIGRATION_PERCENTAGE_SINGLE_FILM_ERROR_POINTS,
        chart_id=chart_id,
    )
    return HipTrend(series, changes, refer, surgery, svg)


def _values(previous: TrendPoint, latest: TrendPoint) -> tuple[float, float]:
    return previous.migration_percentage, latest.migration_percentage
