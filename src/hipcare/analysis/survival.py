"""Kaplan-Meier hip survival with a 95% confidence band, computed by lifelines.

lifelines (Davidson-Pilon, JOSS 2019; https://lifelines.readthedocs.io) fits the
product-limit estimator (Kaplan & Meier, JASA 1958) with the "exponential Greenwood"
confidence band: Greenwood's variance on the log(-log) scale (Kalbfleisch & Prentice 2002),
which keeps the band inside 0-1. It is imported when a curve is first estimated, not at
import time: it pulls in pandas and scipy (about 2 s), which no other command needs.

This module implements :class:`hipcare.services.outcomes_report.SurvivalEstimator`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from hipcare.domain.errors import InvalidInputError
from hipcare.services.outcomes_report import SurvivalPoint

__all__ = ["KaplanMeierEstimator"]


def _probability(value: float, fallback: float) -> float:
    """A band limit clipped to 0-1; lifelines leaves NaN where the band is undefined."""
    if math.isnan(value):
        return fallback
    return min(1.0, max(0.0, float(value)))


class KaplanMeierEstimator:
    """Kaplan-Meier with a 95% (``alpha`` 0.05) exponential-Greenwood band, by lifelines."""

    def __init__(self, alpha: float = 0.05) -> None:
        if not 0 < alpha < 1:
            raise InvalidInputError("alpha", "must be between 0 and 1")
        self._alpha = alpha

    def estimate(
        self, durations_years: Sequence[float], failed: Sequence[bool]
    ) -> Sequence[SurvivalPoint]:
        """One point per distinct duration (and 0 years); refuses negative or NaN durations."""
        if len(durations_years) != len(failed):
            raise InvalidInputError("failed", "needs one event flag per duration")
        if not durations_years:
            return ()
        if any(not math.isfinite(years) or years < 0 for years in durations_years):
            raise InvalidInputError("durations_years", "must be finite numbers >= 0")
        from lifelines import (  # type: ignore[import-untyped]  # lifelines ships no type hints
            KaplanMeierFitter,
        )

        fitter = KaplanMeierFitter(alpha=self._alpha)
        fitter.fit(list(durations_years), event_observed=[bool(event) for event in failed])
        times = [float(time) for time in fitter.survival_function_.index]
        estimates = [float(value) for value in fitter.survival_function_.iloc[:, 0]]
        band = fitter.confidence_interval_survival_function_
        lower = [float(value) for value in band.iloc[:, 0]]
        upper = [float(value) for value in band.iloc[:, 1]]
        points = []
        for time, survival, low, high in zip(times, estimates, lower, upper, strict=True):
            low_limit = _probability(low, survival)
            high_limit = _probability(high, survival)
            points.append(
                SurvivalPoint(
                    years=time,
                    survival=survival,
                    lower=min(low_limit, survival),
                    upper=max(high_limit, survival),
                )
            )
        return tuple(points)
