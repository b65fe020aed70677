"""Is one hip's migration stable? Instability as a rate of change between two films.

Per hip, the latest film is compared with each earlier film taken 4-24 months before it
(``instability`` rule): rise = MP_latest - MP_earlier (percentage points), rate = rise x
365.25 / days between the films (points a year). *Unstable* when some pair rises at the
rule's rate (10 points a year) or faster **and** by more than the change error of two films
(8.3 points, Parrott et al., J Pediatr Orthop 2002); *possibly unstable* when the rate is
reached but the rise is within that error (repeat the film). With no film 4-24 months
before, the most recent older film is used; with only films under 4 months before, there
are not enough films to judge a rate. *Accelerating*: the latest MP is over 24% and the rate
rose between two consecutive intervals of at least 6 months (Wagner & Hägglund, Acta Orthop
2021: an increasing rate of displacement in hips with MP > 24% calls for preventive care).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum

from hipcare.domain.surveillance.calendar import add_months
from hipcare.domain.surveillance.child import Visit
from hipcare.domain.surveillance.rules import RuleKind, SurveillanceRules

__all__ = ["SideJudgement", "Stability", "judge_side"]

DAYS_PER_YEAR = 365.25


class Stability(Enum):
    STABLE = "stable"
    UNSTABLE = "unstable"
    POSSIBLY_UNSTABLE = "possibly-unstable"
    NOT_ENOUGH_FILMS = "not-enough-films"

    @property
    def rising(self) -> bool:
        """Unstable or possibly unstable: the next film is due within 6 months."""
        return self in {Stability.UNSTABLE, Stability.POSSIBLY_UNSTABLE}


@dataclass(frozen=True)
class SideJudgement:
    """One hip's latest migration percentage, whether it is stable, and its latest HSA.

    ``rise_percent`` is the rise in points against the film ``compared_with`` (the pair that
    decided), scaled to 12 months when that film is older than 12 months; ``rise_per_year``
    is the same pair's rate in points a year. Migration percentage and head-shaft angle are
    the core measurement set for CP hip films [Bone Joint Open 2023,
    doi 10.1302/2633-1462.411.BJO-2023-0060.R1].
    """

    side: str
    latest_percent: float | None
    latest_date: date | None
    stability: Stability
    rise_percent: float | None = None
    compared_with: date | None = None
    abnormal: bool = False
    head_shaft_angle_deg: float | None = None
    rise_per_year: float | None = None
    accelerating: bool = False
    judged_from: date | None = None


def _rate_per_year(earlier: tuple[date, float], later: tuple[date, float]) -> float:
    return (later[1] - earlier[1]) * DAYS_PER_YEAR / (later[0] - earlier[0]).days


def _accelerating(measured: Sequence[tuple[date, float]], rules: SurveillanceRules) -> bool:
    rule = rules.single(RuleKind.ACCELERATION)
    latest = measured[-1]
    if latest[1] <= (rule.above_percent or 0):
        return False
    gap = rule.min_interval_months or 0
    middle = next(
        (item for item in reversed(measured[:-1]) if item[0] <= add_months(latest[0], -gap)),
        None,
    )
    if middle is None:
        return False
    first = next(
        (item for item in reversed(measured) if item[0] <= add_months(middle[0], -gap)), None
    )
    if first is None:
        return False
    recent_rate = _rate_per_year(middle, latest)
    return recent_rate > 0 and recent_rate > _rate_per_year(first, middle)


def judge_side(
    side: str,
    films: Sequence[Visit],
    rules: SurveillanceRules,
    *,
    judged_from: date | None = None,
) -> SideJudgement:
    """The ``side`` hip judged from ``films`` (date order) taken on or after ``judged_from``.

    ``judged_from`` is set for an operated hip: only films at least 6 weeks after its latest
    operation count (``interval-after-surgery`` rule).
    """
    abnormal_rule = rules.single(RuleKind.ABNORMAL_THRESHOLD)
    instability = rules.single(RuleKind.INSTABILITY)
    error = rules.single(RuleKind.CHANGE_ERROR).change_error_points or 0
    counted = [film for film in films if judged_from is None or film.date >= judged_from]
    measured = [
        (visit.date, value) for visit in counted if (value := visit.migration(side)) is not None
    ]
    angles = [value for visit in counted if (value := visit.head_shaft_angle(side)) is not None]
    angle = angles[-1] if angles else None
    if not measured:
        return SideJudgement(
            side,
            None,
            None,
            Stability.NOT_ENOUGH_FILMS,
            head_shaft_angle_deg=angle,
            judged_from=judged_from,
        )
    latest_date, latest = measured[-1]
    is_abnormal = latest >= (abnormal_rule.threshold_percent or 0)
    earlier = measured[:-1]
    opens = add_months(latest_date, -(instability.pair_to_months or 0))
    closes = add_months(latest_date, -(instability.pair_from_months or 0))
    pairs = [(day, value) for day, value in earlier if opens <= day <= closes]
    if not pairs:
        older = [(day, value) for day, value in earlier if day < opens]
        pairs = older[-1:]
    if not pairs:
        return SideJudgement(
            side,
            latest,
            latest_date,
            Stability.NOT_ENOUGH_FILMS,
            abnormal=is_abnormal,
            head_shaft_angle_deg=angle,
            judged_from=judged_from,
        )
    over_months = instability.over_months or 12
    # The rule's rise per over_months, as points a year.
    threshold_per_year = (instability.rise_percent or 0) * 12 / over_months
    rated = [
        (_rate_per_year(pair, (latest_date, latest)), latest - pair[1], pair) for pair in pairs
    ]
    fast = [item for item in rated if item[0] >= threshold_per_year]
    beyond_error = [item for item in fast if item[1] > error]
    if beyond_error:
        stability, chosen = Stability.UNSTABLE, max(beyond_error, key=lambda item: item[0])
    elif fast:
        stability, chosen = Stability.POSSIBLY_UNSTABLE, max(fast, key=lambda item: item[0])
    else:
        stability, chosen = Stability.STABLE, max(rated, key=lambda item: item[0])
    rate, rise, (compared_date, _) = chosen
    if compared_date < add_months(latest_date, -over_months):
        window_days = (add_months(compared_date, over_months) - compared_date).days
        rise = rise * window_days / (latest_date - compared_date).days
    return SideJudgement(
        side,
        latest,
        latest_date,
        stability,
        rise_percent=round(rise, 1),
        compared_with=compared_date,
        abnormal=is_abnormal,
        head_shaft_angle_deg=angle,
        rise_per_year=round(rate, 1),
        accelerating=_accelerating(measured, rules),
        judged_from=judged_from,
    )
