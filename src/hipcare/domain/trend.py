"""A hip's migration percentage over time: one point per film.

Built from recorded visits by :func:`hipcare.services.hip_trend.hip_trend` and drawn by
:mod:`hipcare.render.trend_chart`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from hipcare.domain.errors import InvalidInputError

__all__ = ["TrendPoint"]

_MIN_PERCENT = 0.0
_MAX_PERCENT = 100.0


@dataclass(frozen=True)
class TrendPoint:
    """One film's reported migration percentage (0-100%) for one hip, on the film's date."""

    day: date
    migration_percentage: float

    def __post_init__(self) -> None:
        if not isinstance(self.day, date):
            raise InvalidInputError("day", f"{self.day!r} is not a date")
        value = self.migration_percentage
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInputError("migration_percentage", f"{value!r} is not a number")
        if not math.isfinite(value) or not _MIN_PERCENT <= value <= _MAX_PERCENT:
            raise InvalidInputError(
                "migration_percentage", f"{value!r} is not a reported percentage from 0 to 100"
            )
