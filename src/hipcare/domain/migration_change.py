"""How one hip's migration percentage moved between two films, judged against the published
measurement error (Parrott et al. J Pediatr Orthop 2002;22:660-667)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hipcare.domain.checks import finite_number
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.radiograph_sources import (
    DAYS_PER_YEAR,
    MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS,
    MIGRATION_PERCENTAGE_CHANGE_METHOD,
)

__all__ = [
    "DatedMigrationPercentage",
    "MigrationPercentageChange",
    "compare_migration_percentage",
]


@dataclass(frozen=True)
class DatedMigrationPercentage:
    """A reported migration percentage (0-100) of one hip on a film taken on ``taken_on``."""

    percent: float
    taken_on: date
    field_path: str = "migration_percentage"

    def __post_init__(self) -> None:
        value = finite_number(
            self.percent,
            self.field_path,
            not_a_number="expected a number, got {type}",
            not_finite="must be a finite number, got {value!r}",
        )
        if not 0.0 <= value <= 100.0:
            raise InvalidInputError(
                self.field_path,
                f"a reported migration percentage is between 0 and 100, got {value!r}",
            )
        object.__setattr__(self, "percent", value)
        if not isinstance(self.taken_on, date):
            raise InvalidInputError(self.field_path, "the film needs the date it was taken")


@dataclass(frozen=True)
class MigrationPercentageChange:
    """Change in one hip's MP between two films, its yearly rate, and whether it is real.

    ``within_measurement_error`` is true when the absolute change is smaller than
    ``MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS`` (8.3 points; Parrott et al. 2002): such a
    change cannot be told apart from two measurements of an unchanged hip.
    """

    change_percentage_points: float
    interval_years: float
    velocity_percentage_points_per_year: float
    within_measurement_error: bool
    method: str = MIGRATION_PERCENTAGE_CHANGE_METHOD


def compare_migration_percentage(
    earlier: DatedMigrationPercentage, later: DatedMigrationPercentage
) -> MigrationPercentageChange:
    """How one hip's MP moved from ``earlier`` to ``later`` (dates must strictly increase)."""
    days = (later.taken_on - earlier.taken_on).days
    if days <= 0:
        raise InvalidInputError(
            f"{later.field_path}.date",
            f"the later film ({later.taken_on.isoformat()}) must be taken after the earlier "
            f"one ({earlier.taken_on.isoformat()})",
        )
    change = later.percent - earlier.percent
    years = days / DAYS_PER_YEAR
    return MigrationPercentageChange(
        change_percentage_points=change,
        interval_years=years,
        velocity_percentage_points_per_year=change / years,
        # Rounded so that 38.3 - 30.0 (8.299999999999997 in binary) counts as the 8.3 it is.
        within_measurement_error=round(abs(change), 9) < MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS,
    )
