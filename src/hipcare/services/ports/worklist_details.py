"""What a worklist row shows beside the status: GMFCS, age, films and MP (issue 16)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from hipcare.domain.gmfcs import GMFCS

__all__ = ["HipMigration", "WorklistChildFacts", "WorklistDetailsQuery"]


@dataclass(frozen=True)
class HipMigration:
    """A hip's latest migration percentage (Reimers, 0-100, as reported) and its film date."""

    migration_percentage: float
    film_date: date


@dataclass(frozen=True)
class WorklistChildFacts:
    """One listed child's facts as stored: GMFCS level (None: not known), date of birth,
    the latest MP per hip (None: never measured) and the last film's date (None: no film)."""

    child_id: int
    gmfcs: GMFCS | None
    date_of_birth: date
    right: HipMigration | None
    left: HipMigration | None
    last_film: date | None


class WorklistDetailsQuery(Protocol):
    def facts(self, child_ids: Collection[int]) -> dict[int, WorklistChildFacts]:
        """The facts of these children (unknown ids left out); two statements."""
        ...
